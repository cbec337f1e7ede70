package conformance

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/frame"
)

// The private-request watch (P-N1-3, SPEC.md §3.8): every message the suite
// reads on a channel it opened passes through Chan.Read, which shows it to
// the suite's privateLog. A private request (the project's agent-incoming,
// reverse-bound and reverse-incoming, or any request name the suite does not
// know) is allowed only on a channel where the suite asked for the feature
// it answers: reverse-* on the suite's own listener channel, agent-incoming
// on a session channel that sent auth-agent-req@openssh.com. The check
// P-N1-3 runs after every other check of its profile and judges all of
// them.

// privateSeen is one private request the server sent.
type privateSeen struct {
	check   string // the ID of the check whose channel it came on
	name    string
	chType  string
	allowed bool
}

// privateLog is the watch's record, per profile.
type privateLog struct {
	mu    sync.Mutex
	seen  map[string][]privateSeen
	chans map[string]map[string]int // channels read as messages, by type
}

// privateName reports whether m is a private request, and its name.
func privateName(m frame.Message) (string, bool) {
	switch r := m.(type) {
	case *frame.AgentIncoming, *frame.ReverseBound, *frame.ReverseIncoming:
		return r.(frame.Request).Name(), true
	case *frame.UnknownRequest:
		return r.RequestName, true
	}
	return "", false
}

// allowedOn reports whether the suite asked on ch for the feature that the
// private request name answers (SPEC.md §3.8 (b)).
func allowedOn(ch *Chan, name string) bool {
	switch name {
	case frame.ReqReverseBound, frame.ReqReverseIncoming:
		_, listener := ch.Extra.(*frame.ReverseListen)
		return listener && (ch.Type == frame.ChannelReverseTCP || ch.Type == frame.ChannelReverseUDP)
	case frame.ReqAgentIncoming:
		return ch.Type == frame.ChannelSession && ch.agentAsked.Load()
	}
	return false
}

// saw records m, read on ch.
func (l *privateLog) saw(ch *Chan, m frame.Message) {
	first := false
	ch.readOnce.Do(func() { first = true })
	name, private := privateName(m)
	if !first && !private {
		return
	}
	p := ch.P.Name()
	typ := ch.Type
	if typ == "" {
		typ = "(raw header)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if first {
		if l.chans == nil {
			l.chans = map[string]map[string]int{}
		}
		if l.chans[p] == nil {
			l.chans[p] = map[string]int{}
		}
		l.chans[p][typ]++
	}
	if private {
		if l.seen == nil {
			l.seen = map[string][]privateSeen{}
		}
		id := ch.t.c.ID
		if id == "" {
			id = "liveness probe"
		}
		l.seen[p] = append(l.seen[p], privateSeen{check: id, name: name, chType: typ, allowed: allowedOn(ch, name)})
	}
}

// snapshot is what the watch saw in profile p so far.
func (l *privateLog) snapshot(p string) ([]privateSeen, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chans := map[string]int{}
	for k, v := range l.chans[p] {
		chans[k] = v
	}
	return append([]privateSeen(nil), l.seen[p]...), chans
}

// checkPrivateRequests (P-N1-3) asks for both features itself, so that the
// row is covered when it runs alone, beside a session that asks for
// nothing; then it judges every private request the watch saw in this
// profile.
func checkPrivateRequests(t *T, cv *Conv) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a plain session on the same conversation, open meanwhile
		defer wg.Done()
		cv.Exec("sleep 1; echo plain", nil)
	}()
	// A reverse listener only toward a server that announced it: the
	// original takes the listener's address block for a message and
	// crashes on it (message/message.go:217).
	if t.s.local && t.peerHas(cv, frame.CapReverse) {
		if l, _, err := listen(cv, frame.ChannelReverseTCP); err == nil && l != nil {
			if _, err := t.dialPort(l.Port); err == nil {
				_, _ = l.incoming(3 * time.Second)
			}
		}
	}
	if t.p == frame.RTH300 {
		if peer, err := newAgentPeer(t, cv); err == nil {
			t.agentSession(cv, true, agentCommand(1), peer.accept)
			peer.wait()
		}
	}
	wg.Wait()
	seen, chans := t.s.private.snapshot(t.p.Name())
	allowed := map[string]int{}
	var bad []string
	checks := map[string]bool{}
	for _, s := range seen {
		checks[s.check] = true
		if s.allowed {
			allowed[fmt.Sprintf("%s on %s", s.name, s.chType)]++
			continue
		}
		bad = append(bad, fmt.Sprintf("%s on a %s channel that did not ask for it (check %s)", s.name, s.chType, s.check))
	}
	obs := []string{"channels read as messages in this profile: " + countList(chans),
		"private requests after the suite's feature requests: " + countList(allowed),
		fmt.Sprintf("private requests came on channels of %d check(s)", len(checks))}
	const want = "reverse-bound/reverse-incoming only on the suite's listener channels, agent-incoming only on sessions that sent auth-agent-req@openssh.com; none on any other channel the suite read in this profile (every check's)"
	if len(bad) == 0 && len(allowed) == 0 {
		t.skip("the target sent no private request even when asked (reverse and agent forwarding refused, unsupported or not run); nothing to judge")
		return
	}
	t.verdict(want, obs, bad)
}

// countList formats counts as "a ×2, b ×1", sorted.
func countList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
