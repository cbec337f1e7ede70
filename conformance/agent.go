package conformance

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/ssh3-project/ssh3/frame"
)

// Agent forwarding in rth3-00 (spec/SPEC.md §5.3, G6): P-G6-1 and P-G6-2.
// The suite is the client's side: it asks with auth-agent-req@openssh.com,
// runs a command on the target that connects to $SSH_AUTH_SOCK, and answers
// each agent-incoming with an agent-connection channel on which it serves
// the SSH agent protocol itself, from a keyring holding a throwaway key.

// agentPeer is the suite's SSH agent on one conversation.
type agentPeer struct {
	t       *T
	cv      *Conv
	keyring agent.Agent
	pub     ssh.PublicKey

	wg     sync.WaitGroup
	mu     sync.Mutex // guards log and served
	log    []string
	served int // connections that carried agent requests and ended with FIN
}

func newAgentPeer(t *T, cv *Conv) (*agentPeer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv, Comment: "ssh3-conformance agent key"}); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	return &agentPeer{t: t, cv: cv, keyring: kr, pub: signer.PublicKey()}, nil
}

// mustAgentPeer is a conversation and the suite's agent on it; nil when
// the check has already been reported.
func (t *T) mustAgentPeer() *agentPeer {
	cv := t.mustConv()
	if cv == nil {
		return nil
	}
	peer, err := newAgentPeer(t, cv)
	if err != nil {
		t.fail("an agent key", err.Error())
		return nil
	}
	return peer
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// accept opens the agent-connection channel for connection c of session
// and serves the agent on it (raw bytes, no messages) in the background,
// until the target's FIN.
func (a *agentPeer) accept(session *Chan, c uint64) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		b := header(a.t.p, a.cv.ID(), frame.ChannelAgentConnection, &frame.AgentAccept{Session: session.ID(), Connection: c}, frame.DefaultMaxMessageSize)
		st, err := openRaw(a.t, a.cv.C, b, false)
		desc := ""
		cr := &countingReader{}
		if err == nil {
			if dl, ok := a.t.ctx.Deadline(); ok {
				_ = st.SetReadDeadline(dl)
			}
			cr.r = st
			err = agent.ServeAgent(a.keyring, struct {
				io.Reader
				io.Writer
			}{cr, st})
			_ = st.Close()
		}
		if err == io.EOF {
			desc = "FIN"
		} else {
			desc = Describe(err)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.log = append(a.log, fmt.Sprintf("agent-connection for connection %d: %d bytes of agent requests answered, then %s", c, cr.n, desc))
		if cr.n > 0 && err == io.EOF {
			a.served++
		}
	}()
}

// wait waits for every agent-connection channel to end.
func (a *agentPeer) wait() {
	a.wg.Wait()
}

func (a *agentPeer) summary() (int, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.served, strings.Join(a.log, "; ")
}

// agentScript is a perl client for a target without ssh-add: it asks the
// agent for its identities and prints the answer's type and key count.
const agentScript = `perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ENV{SSH_AUTH_SOCK}) or exit 5; ` +
	`print $s pack("NC", 1, 11); read($s, $h, 5) == 5 or exit 6; ($l, $t) = unpack("NC", $h); read($s, $b, $l - 1); ` +
	`printf "agent answer %d, %d key(s)\n", $t, unpack("N", $b)'`

// agentCommand is a command that connects to $SSH_AUTH_SOCK n times, one
// agent request each: with ssh-add -l when the target has it, else with
// perl. Its first line names the tool ("tool=none": neither, exit 4).
func agentCommand(n int) string {
	qs := make([]string, n)
	for i := range qs {
		qs[i] = "q"
	}
	return `[ -n "$SSH_AUTH_SOCK" ] || { echo "SSH_AUTH_SOCK unset"; exit 3; }; ` +
		`if command -v ssh-add >/dev/null 2>&1; then echo tool=ssh-add; q() { ssh-add -l; }; ` +
		`elif command -v perl >/dev/null 2>&1; then echo tool=perl; q() { ` + agentScript + `; }; ` +
		`else echo tool=none; exit 4; fi; ` + strings.Join(qs, " && ")
}

// agentAnswers counts the agent's answers in the output of agentCommand.
func (a *agentPeer) agentAnswers(stdout string) int {
	if strings.HasPrefix(stdout, "tool=perl") {
		return strings.Count(stdout, "agent answer 12, 1 key(s)")
	}
	return strings.Count(stdout, ssh.FingerprintSHA256(a.pub))
}

// agentSession runs cmd on a new session channel of cv, first asking for
// agent forwarding when ask, and calls onIncoming (if set) for each
// agent-incoming as it arrives. It returns the session's result and the
// announced connection values.
func (t *T) agentSession(cv *Conv, ask bool, cmd string, onIncoming func(session *Chan, c uint64)) (*ExecResult, []uint64) {
	var msgs []frame.Message
	if ask {
		msgs = append(msgs, &frame.AuthAgent{WantReply: true})
	}
	msgs = append(msgs, &frame.Exec{WantReply: true, Command: cmd})
	ch, err := cv.Open(frame.ChannelSession, nil, msgs...)
	if err != nil {
		return &ExecResult{Err: err}, nil
	}
	var conns []uint64
	res := ch.collectWith(func(m frame.Message) {
		if in, ok := m.(*frame.AgentIncoming); ok {
			conns = append(conns, in.Connection)
			if onIncoming != nil {
				onIncoming(ch, in.Connection)
			}
		}
	})
	return res, conns
}

// checkAgentForwarding covers P-G6-1: auth-agent-req answered 99; two
// connections to the agent socket, each announced and each carried on the
// suite's agent-connection channel to its agent.
func checkAgentForwarding(t *T) {
	peer := t.mustAgentPeer()
	if peer == nil {
		return
	}
	cv := peer.cv
	res, conns := t.agentSession(cv, true, agentCommand(2), peer.accept)
	peer.wait()
	if strings.HasPrefix(res.Stdout.String(), "tool=none") {
		t.skip("the target has neither ssh-add nor perl to connect to $SSH_AUTH_SOCK")
		return
	}
	served, log := peer.summary()
	obs := []string{"session: " + res.Summary(), fmt.Sprintf("agent-incoming connections %v", conns), log}
	var bad []string
	if len(res.Replies) == 0 || res.Replies[0] != frame.MsgSuccess {
		bad = append(bad, fmt.Sprintf("auth-agent-req not answered 99 (replies %v)", res.Replies))
	}
	if len(conns) != 2 || conns[0] == conns[1] {
		bad = append(bad, "not two agent-incoming with distinct connection values")
	}
	if served != 2 {
		bad = append(bad, fmt.Sprintf("%d agent-connection channels carried the agent protocol, want 2", served))
	}
	if n := peer.agentAnswers(res.Stdout.String()); n != 2 || !res.ok() {
		bad = append(bad, fmt.Sprintf("the command on the target got %d agent answers listing the suite's key, want 2", n))
	}
	t.verdict("auth-agent-req answered 99; each connection to $SSH_AUTH_SOCK announced by agent-incoming (distinct values); the agent-connection channels carry the agent protocol (the target lists the suite's key)", obs, bad)
}

// checkAgentRefusals covers P-G6-2: session A does not ask, session B on the
// same conversation does. A gets no agent-incoming and no SSH_AUTH_SOCK;
// agent-connection channels naming A, no session, an unknown connection of
// B or B's already accepted one are reset with 0x10b. With -slow, an
// announced connection the suite never accepts is closed after 10 s.
func checkAgentRefusals(t *T) {
	peer := t.mustAgentPeer()
	if peer == nil {
		return
	}
	cv := peer.cv
	var obs, bad []string
	var mu sync.Mutex // guards obs and bad
	note := func(o, b string) {
		mu.Lock()
		defer mu.Unlock()
		obs = append(obs, o)
		if b != "" {
			bad = append(bad, b)
		}
	}
	sessA, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: `sleep 1.5; echo "sock=${SSH_AUTH_SOCK:-unset}"`})
	if err != nil {
		t.fail("session", Describe(err))
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		n := 0
		res := sessA.collectWith(func(m frame.Message) {
			if _, ok := m.(*frame.AgentIncoming); ok {
				n++
			}
		})
		b := ""
		if n > 0 || res.Stdout.String() != "sock=unset\n" || !res.ok() {
			b = "the session that did not ask got agent-incoming or SSH_AUTH_SOCK"
		}
		note(fmt.Sprintf("session that did not ask: %d agent-incoming, %s", n, res.Summary()), b)
	})
	probe := func(label string, session, c uint64) {
		b := header(t.p, cv.ID(), frame.ChannelAgentConnection, &frame.AgentAccept{Session: session, Connection: c}, frame.DefaultMaxMessageSize)
		desc, _ := t.refusedWithin(cv.C, b, false, 4*time.Second)
		bb := ""
		if desc != "reset "+CodeName(0x10b) {
			bb = label + " → " + desc
		}
		note("agent-connection naming "+label+" → "+desc, bb)
	}
	var once sync.Once
	var probes sync.WaitGroup
	resB, conns := t.agentSession(cv, true, agentCommand(1)+"; sleep 1.5", func(sessB *Chan, c uint64) {
		peer.accept(sessB, c)
		once.Do(func() {
			probes.Go(func() {
				peer.wait() // connection c is taken: naming it again is unknown
				probe("the session that did not ask", sessA.ID(), 1)
				probe("no session", sessB.ID()+400, 1)
				probe("an unknown connection of the asking session", sessB.ID(), c+1000)
				probe("the asking session's already accepted connection", sessB.ID(), c)
			})
		})
	})
	probes.Wait()
	wg.Wait()
	if strings.HasPrefix(resB.Stdout.String(), "tool=none") {
		t.skip("the target has neither ssh-add nor perl to connect to $SSH_AUTH_SOCK")
		return
	}
	_, log := peer.summary()
	note(fmt.Sprintf("session that asked: agent-incoming %v, %s; %s", conns, resB.Summary(), log), "")
	if len(conns) != 1 || peer.agentAnswers(resB.Stdout.String()) != 1 {
		bad = append(bad, "the asking session's agent connection was not carried (the refusals above prove little)")
	}
	want := "no agent-incoming nor SSH_AUTH_SOCK on a session that did not ask; agent-connection naming that session, no session, an unknown or an already accepted connection → reset 0x10b"
	if t.verdictWithoutSlow(want, obs, bad) {
		return
	}
	// -slow: a connection the suite leaves unaccepted.
	var at time.Time
	var c uint64
	res, _ := t.agentSession(cv, true, agentCommand(1)+"; echo rc=$?", func(_ *Chan, conn uint64) {
		at, c = time.Now(), conn
	})
	took := time.Duration(0)
	if !at.IsZero() {
		took = time.Since(at)
	}
	obs = append(obs, fmt.Sprintf("unaccepted connection %d: the command ended about %s after agent-incoming (%s)", c, took.Round(100*time.Millisecond), res.Summary()))
	if at.IsZero() || took < 8500*time.Millisecond || took > 13*time.Second || !strings.Contains(res.Stdout.String(), "rc=") || strings.Contains(res.Stdout.String(), "rc=0") {
		bad = append(bad, "the unaccepted connection was not closed after about 10 s")
	}
	t.verdict(want+"; an unaccepted connection closed after 10 s", obs, bad)
}
