package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// T is the state of one running check: its context (the per-check
// timeout), profile, and result; the connections it opened are closed when
// it ends.
type T struct {
	ctx context.Context
	s   *Suite
	p   *frame.Profile

	mu       sync.Mutex // guards c, closers, reported and silent
	c        *Check
	closers  []func()
	reported bool
	// silent lists the requests of the check the target never answered
	// within the check's time. A pass resting on them would rest on
	// silence (a slow machine, a wedged target), so report makes it an
	// inconclusive skip unless silenceOK (the check's def says silence is
	// its evidence).
	silent    []string
	silenceOK bool
	// notPromised, when set, names this project's decision that the
	// check tests and that the target never took on (projectRule): a
	// failure of the check is then reported as n/a with that reason,
	// unless setupFailed (the check could not even start a conversation).
	notPromised string
	setupFailed bool
}

func (s *Suite) newT(ctx context.Context, p *frame.Profile, c *Check) *T {
	return &T{ctx: ctx, s: s, p: p, c: c}
}

// report records the check's result; the first report wins, and none is
// taken once runWithTimeout has given up on the check.
func (t *T) report(r Result, expected, observed, detail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reported {
		return
	}
	t.reported = true
	if r == Pass && len(t.silent) > 0 && !t.silenceOK {
		r, detail = Skip, fmt.Sprintf("skip: inconclusive: the target did not answer %s within the check's time, and the pass would rest on that silence", strings.Join(t.silent, ", "))
	}
	if r == Fail && t.notPromised != "" && !t.setupFailed {
		r, detail = NA, "n/a: "+t.notPromised
	}
	t.c.Result, t.c.Expected, t.c.Observed = r, expected, observed
	if detail != "" {
		t.c.Detail = detail
	}
}

func (t *T) pass(expected, observed string) { t.report(Pass, expected, observed, "") }
func (t *T) fail(expected, observed string) { t.report(Fail, expected, observed, "") }
func (t *T) skip(reason string)             { t.report(Skip, "", "", "skip: "+reason) }
func (t *T) na(reason string)               { t.report(NA, "", "", "n/a: "+reason) }

// expect passes when ok, else fails, with the same expected and observed.
func (t *T) expect(ok bool, expected, observed string) {
	if ok {
		t.pass(expected, observed)
		return
	}
	t.fail(expected, observed)
}

// verdict passes when bad is empty, else fails; observed lists what was
// seen in every part.
func (t *T) verdict(expected string, observed, bad []string) {
	if len(bad) == 0 {
		t.pass(expected, joinObs(observed))
		return
	}
	t.fail(expected, joinObs(bad)+" (all: "+joinObs(observed)+")")
}

func (t *T) onCleanup(f func()) {
	t.mu.Lock()
	t.closers = append(t.closers, f)
	t.mu.Unlock()
}

func (t *T) cleanup() {
	t.mu.Lock()
	cs := t.closers
	t.closers = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// sub returns a context bounded by the check's and by d.
func (t *T) sub(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.ctx, d)
}

// dial opens a raw HTTP/3 connection to the target, closed at cleanup.
func (t *T) dial(cfg DialConfig) (*H3Conn, error) {
	c, err := DialH3(t.ctx, t.s.addr, t.s.tls, cfg)
	if IsTimeout(err) {
		t.noteSilent("a handshake")
	}
	if err != nil {
		return nil, err
	}
	t.onCleanup(c.Close)
	return c, nil
}

// userPath is the CONNECT :path for user.
func (t *T) userPath(user string) string {
	return t.s.path + "?user=" + queryEscape(user)
}

func queryEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// versionField is the profile's request version header with our value.
func (t *T) versionField(p *frame.Profile) Field {
	return Field{p.RequestVersionHeader(), p.ClientVersion(t.s.sw, frame.AllCaps)}
}

// connectFields is a well-formed Extended CONNECT for profile p and user
// with authorization authz ("" for none).
func (t *T) connectFields(p *frame.Profile, user, authz string) []Field {
	f := []Field{
		{":method", "CONNECT"}, {":protocol", p.Protocol()}, {":scheme", "https"},
		{":authority", t.s.addr}, {":path", t.userPath(user)},
	}
	if authz != "" {
		f = append(f, Field{"authorization", authz})
	}
	return append(f, t.versionField(p))
}

// binding is the connection's EXPORTER-SSH3 value.
func binding(c *H3Conn) ([]byte, error) {
	cs := c.QUIC.ConnectionState().TLS
	return bindingFromState(&cs)
}

// authz is a valid authorization value for user on connection c in
// profile p: a JWT when the suite has a key, else Basic.
func (t *T) authz(c *H3Conn, p *frame.Profile, user string) (string, error) {
	if t.s.signer == nil {
		return basic(user, t.s.cfg.Target.Password), nil
	}
	b, err := binding(c)
	if err != nil {
		return "", err
	}
	tok, err := signValid(t.s.signer, p, user, b, time.Now())
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

// Conv is one conversation attempt of the raw client.
type Conv struct {
	t    *T
	C    *H3Conn
	Req  *ReqStream
	Resp *Response
	P    *frame.Profile
}

// ID is the conversation ID.
func (cv *Conv) ID() uint64 { return cv.Req.ID() }

// request sends fields on a fresh stream of c and reads the response.
func (t *T) request(c *H3Conn, fields []Field) (*ReqStream, *Response, error) {
	rs, err := c.Request(t.ctx, fields, false)
	if IsTimeout(err) {
		t.noteSilent(requestLabel(fields))
	}
	if err != nil {
		return nil, nil, err
	}
	resp, err := rs.ReadResponse(t.ctx)
	if IsTimeout(err) {
		t.noteSilent(requestLabel(fields))
	}
	return rs, resp, err
}

// noteSilent records a request the target left unanswered.
func (t *T) noteSilent(what string) {
	t.mu.Lock()
	t.silent = append(t.silent, what)
	t.mu.Unlock()
}

// requestLabel names a request by its method and path for reports.
func requestLabel(fields []Field) string {
	var m, p string
	for _, f := range fields {
		switch f.Name {
		case ":method":
			m = f.Value
		case ":path":
			p = f.Value
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return strings.TrimSpace("a " + m + " " + p)
}

// connectOn sends a valid CONNECT on c and reads the answer.
func (t *T) connectOn(c *H3Conn, p *frame.Profile) (*Conv, error) {
	a, err := t.authz(c, p, t.s.cfg.Target.User)
	if err != nil {
		return nil, err
	}
	rs, resp, err := t.request(c, t.connectFields(p, t.s.cfg.Target.User, a))
	if err != nil {
		return nil, err
	}
	if p == frame.Alpha && resp.Status/100 == 2 {
		t.s.noteServerVersion(resp.Header.Get(p.ResponseVersionHeader()))
	}
	return &Conv{t: t, C: c, Req: rs, Resp: resp, P: p}, nil
}

// connect dials and sends a valid CONNECT in the check's profile.
func (t *T) connect() (*Conv, error) {
	c, err := t.dial(DialConfig{AllowServerBidi: t.p == frame.Alpha})
	if err != nil {
		return nil, err
	}
	return t.connectOn(c, t.p)
}

// connectOK is connect that also requires a 2xx.
func (t *T) connectOK() (*Conv, error) {
	cv, err := t.connect()
	if err != nil {
		return nil, err
	}
	if cv.Resp.Status/100 != 2 {
		return nil, fmt.Errorf("valid CONNECT answered %d", cv.Resp.Status)
	}
	return cv, nil
}

// mustConv is connectOK that fails the check when it cannot.
func (t *T) mustConv() *Conv {
	cv, err := t.connectOK()
	if err != nil {
		t.mu.Lock()
		t.setupFailed = true
		t.mu.Unlock()
		t.fail("a valid CONNECT gets 2xx", "setup failed: "+Describe(err))
		return nil
	}
	return cv
}

// Chan is a channel the suite opened.
type Chan struct {
	St  *quic.Stream
	R   *frame.Reader
	P   *frame.Profile
	raw *captureReader
	t   *T
	// Type and Extra are the channel's header, when the suite built it
	// ("" when it sent raw bytes it did not parse); agentAsked is set once
	// the suite sent auth-agent-req@openssh.com on it. The private-request
	// watch (P-N1-3) judges what the server sends on the channel by them.
	Type       string
	Extra      frame.HeaderExtra
	agentAsked atomic.Bool
	readOnce   sync.Once
}

// ID is the channel ID.
func (ch *Chan) ID() uint64 { return uint64(ch.St.StreamID()) }

// captureReader keeps the first bytes read through it.
type captureReader struct {
	r     io.Reader
	mu    sync.Mutex
	first []byte
}

func (c *captureReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	if len(c.first) < 64 {
		k := min(n, 64-len(c.first))
		c.first = append(c.first, p[:k]...)
	}
	c.mu.Unlock()
	return n, err
}

// First returns up to 64 of the first bytes the peer sent.
func (ch *Chan) First() []byte {
	ch.raw.mu.Lock()
	defer ch.raw.mu.Unlock()
	return append([]byte(nil), ch.raw.first...)
}

// OpenRaw opens a bidi stream on cv's connection and writes b (then FIN if
// fin). The stream is reset at cleanup.
func (cv *Conv) OpenRaw(b []byte, fin bool) (*quic.Stream, error) {
	return openRaw(cv.t, cv.C, b, fin)
}

func openRaw(t *T, c *H3Conn, b []byte, fin bool) (*quic.Stream, error) {
	st, err := c.QUIC.OpenStreamSync(t.ctx)
	if err != nil {
		return nil, err
	}
	t.onCleanup(func() { st.CancelRead(0x10c); st.CancelWrite(0x10c) })
	if len(b) > 0 {
		if _, err := st.Write(b); err != nil {
			return st, err
		}
	}
	if fin {
		_ = st.Close()
	}
	return st, nil
}

// header builds a channel header of profile p naming conversation conv.
func header(p *frame.Profile, conv uint64, typ string, extra frame.HeaderExtra, max uint64) []byte {
	h := frame.ChannelHeader{Conversation: conv, Type: typ, MaxMessageSize: max, Extra: extra}
	b, err := h.Append(nil, p)
	if err != nil {
		panic(err) // the suite's own headers are valid
	}
	return b
}

// appendMsgs appends messages for a peer that accepts max.
func appendMsgs(b []byte, p *frame.Profile, max uint64, msgs ...frame.Message) []byte {
	for _, m := range msgs {
		var err error
		b, err = frame.AppendMessage(b, m, p, max)
		if err != nil {
			panic(err)
		}
	}
	return b
}

// Open opens a channel of typ on cv, header and msgs in one write.
func (cv *Conv) Open(typ string, extra frame.HeaderExtra, msgs ...frame.Message) (*Chan, error) {
	b := header(cv.P, cv.ID(), typ, extra, frame.DefaultMaxMessageSize)
	b = appendMsgs(b, cv.P, frame.DefaultMaxMessageSize, msgs...)
	ch, err := cv.openWith(b, frame.DefaultMaxMessageSize)
	if ch != nil {
		ch.noteSent(msgs)
	}
	return ch, err
}

// openWith opens a channel whose header (and first messages) are b.
func (cv *Conv) openWith(b []byte, max uint64) (*Chan, error) {
	st, err := cv.OpenRaw(b, false)
	if err != nil {
		return nil, err
	}
	ch := newChan(cv.t, st, cv.P, max)
	if h, _, _, err := frame.ParseChannelHeader(b); err == nil {
		ch.Type, ch.Extra = h.Type, h.Extra
	}
	return ch, nil
}

// noteSent records the feature requests among msgs sent on ch.
func (ch *Chan) noteSent(msgs []frame.Message) {
	for _, m := range msgs {
		if _, ok := m.(*frame.AuthAgent); ok {
			ch.agentAsked.Store(true)
		}
	}
}

func newChan(t *T, st *quic.Stream, p *frame.Profile, max uint64) *Chan {
	cr := &captureReader{r: st}
	return &Chan{St: st, R: frame.NewReader(cr, p, max), P: p, raw: cr, t: t}
}

// Send writes messages on the channel.
func (ch *Chan) Send(msgs ...frame.Message) error {
	ch.noteSent(msgs)
	_, err := ch.St.Write(appendMsgs(nil, ch.P, frame.DefaultMaxMessageSize, msgs...))
	return err
}

// Read reads the next message, bounded by the check's context. Every
// message read is shown to the private-request watch (P-N1-3).
func (ch *Chan) Read() (frame.Message, error) {
	if dl, ok := ch.t.ctx.Deadline(); ok {
		_ = ch.St.SetReadDeadline(dl)
	}
	m, err := ch.R.ReadMessage()
	if err == nil {
		ch.t.s.private.saw(ch, m)
	}
	return m, err
}

// msgOrErr is one result of Chan.pump.
type msgOrErr struct {
	m   frame.Message
	err error
}

// pump reads ch's messages in the background, so that a check can wait for
// them with its own time limits; the channel is closed after the first
// error (io.EOF for FIN).
func (ch *Chan) pump() <-chan msgOrErr {
	out := make(chan msgOrErr, 64)
	go func() {
		defer close(out)
		for {
			m, err := ch.Read()
			select {
			case out <- msgOrErr{m, err}:
			case <-ch.t.ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// send writes payload on a forwarding channel in its profile's framing:
// raw bytes on an rth3-00 TCP channel, DATA otherwise.
func (ch *Chan) send(payload []byte) error {
	if ch.P.RawTCP() {
		_, err := ch.St.Write(payload)
		return err
	}
	return ch.Send(&frame.Data{Data: payload})
}

// recv reads n bytes of a forwarding channel in its profile's framing
// (skipping a 91 before DATA).
func (ch *Chan) recv(n int) ([]byte, error) {
	if ch.P.RawTCP() {
		if dl, ok := ch.t.ctx.Deadline(); ok {
			_ = ch.St.SetReadDeadline(dl)
		}
		got := make([]byte, n)
		k, err := io.ReadFull(ch.St, got)
		return got[:k], err
	}
	var got []byte
	for len(got) < n {
		m, err := ch.Read()
		if err != nil {
			return got, err
		}
		switch m := m.(type) {
		case *frame.Data:
			got = append(got, m.Data...)
		case *frame.OpenConfirmation:
		case *frame.OpenFailure:
			return got, fmt.Errorf("92 reason %d %q", m.Reason, m.Description)
		default:
			return got, fmt.Errorf("unexpected message %d", m.Type())
		}
	}
	return got, nil
}

// ExecResult is what a session channel produced.
type ExecResult struct {
	Confirmed *frame.OpenConfirmation
	Refused   *frame.OpenFailure
	Stdout    bytes.Buffer
	Stderr    bytes.Buffer
	Status    *uint64
	Signal    string
	Replies   []frame.MsgType
	Msgs      []frame.Message
	Err       error // how the stream ended if not by FIN or an exit message
	// NoFIN is set when the stream was still open tailGrace after the
	// exit-status or exit-signal that ended the command: the original never
	// ends the session channel after one, and the requirement names the
	// exit message, not the FIN, as the end of the command.
	NoFIN bool
}

// tailGrace is how long Collect waits, after the exit message, for the FIN
// or a late message; what it sees in that time is reported, and a peer that
// sends nothing more is not held to the check's time limit.
const tailGrace = 500 * time.Millisecond

// Summary describes the result for reports.
func (r *ExecResult) Summary() string {
	var parts []string
	switch {
	case r.Refused != nil:
		parts = append(parts, fmt.Sprintf("92 reason %d %q", r.Refused.Reason, r.Refused.Description))
	case r.Confirmed != nil:
		parts = append(parts, "91")
	}
	if r.Stdout.Len() > 0 {
		parts = append(parts, fmt.Sprintf("stdout %q", trunc(r.Stdout.String(), 60)))
	}
	if r.Stderr.Len() > 0 {
		parts = append(parts, fmt.Sprintf("stderr %q", trunc(r.Stderr.String(), 60)))
	}
	if len(r.Replies) > 0 {
		parts = append(parts, fmt.Sprint("replies ", r.Replies))
	}
	if r.Status != nil {
		parts = append(parts, fmt.Sprintf("exit-status %d", *r.Status))
	}
	if r.Signal != "" {
		parts = append(parts, "exit-signal "+r.Signal)
	}
	switch {
	case r.Err != nil:
		parts = append(parts, "ended: "+Describe(r.Err))
	case r.NoFIN:
		parts = append(parts, "no FIN after the exit message")
	default:
		parts = append(parts, "FIN")
	}
	return strings.Join(parts, ", ")
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Collect reads messages until FIN or an error, or until tailGrace after an
// exit-status or exit-signal without anything more.
func (ch *Chan) Collect() *ExecResult { return ch.collectWith(nil) }

// collectWith is Collect that also shows each message to each, as it
// arrives.
func (ch *Chan) collectWith(each func(frame.Message)) *ExecResult {
	r := &ExecResult{}
	for {
		m, err := ch.readAfterExit(r)
		if err == io.EOF {
			return r
		}
		if r.exited() && IsTimeout(err) && ch.t.ctx.Err() == nil {
			r.NoFIN = true
			return r
		}
		if err != nil {
			r.Err = err
			return r
		}
		if each != nil {
			each(m)
		}
		r.Msgs = append(r.Msgs, m)
		switch m := m.(type) {
		case *frame.OpenConfirmation:
			r.Confirmed = m
		case *frame.OpenFailure:
			r.Refused = m
		case *frame.Data:
			r.Stdout.Write(m.Data)
		case *frame.ExtendedData:
			r.Stderr.Write(m.Data)
		case *frame.ExitStatus:
			s := m.Status
			r.Status = &s
		case *frame.ExitSignal:
			r.Signal = m.Signal
		case *frame.Success, *frame.Failure:
			r.Replies = append(r.Replies, m.Type())
		}
	}
}

// exited reports whether an exit-status or exit-signal has arrived.
func (r *ExecResult) exited() bool { return r.Status != nil || r.Signal != "" }

// readAfterExit is Read, bounded by tailGrace once r has its exit message.
func (ch *Chan) readAfterExit(r *ExecResult) (frame.Message, error) {
	if !r.exited() {
		return ch.Read()
	}
	dl := time.Now().Add(tailGrace)
	if cd, ok := ch.t.ctx.Deadline(); ok && cd.Before(dl) {
		dl = cd
	}
	_ = ch.St.SetReadDeadline(dl)
	m, err := ch.R.ReadMessage()
	if err == nil {
		ch.t.s.private.saw(ch, m)
	}
	return m, err
}

// Exec opens a session channel running cmd (want-reply 1), with pre sent
// before the exec, and collects what comes back until FIN.
func (cv *Conv) Exec(cmd string, pre []frame.Message) *ExecResult {
	msgs := append(append([]frame.Message{}, pre...), &frame.Exec{WantReply: true, Command: cmd})
	ch, err := cv.Open(frame.ChannelSession, nil, msgs...)
	if err != nil {
		return &ExecResult{Err: err}
	}
	return ch.Collect()
}

// afterwards runs cmd on cv once a check's probes are done, and returns obs
// with what it showed and bad with harmed added unless it exited 0: the
// conversation survived the probes.
func (cv *Conv) afterwards(cmd, harmed string, obs, bad []string) ([]string, []string) {
	res := cv.Exec(cmd, nil)
	obs = append(obs, "then exec on the same conversation: "+res.Summary())
	if !res.ok() {
		bad = append(bad, harmed)
	}
	return obs, bad
}

// ok reports whether r ran to a zero exit with a confirmation.
func (r *ExecResult) ok() bool {
	return r.Err == nil && r.Confirmed != nil && r.Status != nil && *r.Status == 0
}

// waitEnd reads raw bytes from st until FIN, a reset, or the context,
// returning what came and how it ended (nil for FIN).
func waitEnd(ctx context.Context, st *quic.Stream, limit int) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetReadDeadline(dl)
	}
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := st.Read(buf)
		if len(got) < limit {
			got = append(got, buf[:min(n, limit-len(got))]...)
		}
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// refusedQuickly describes how a channel stream ended: "reset <code>",
// "92 reason n", or a failure description; ok says it was refused.
func refusal(p *frame.Profile, got []byte, err error) (string, bool) {
	if code, isReset := ResetCode(err); isReset {
		return "reset " + CodeName(code), true
	}
	if len(got) > 0 {
		m, _, perr := frame.ParseMessage(got, p, frame.DefaultMaxMessageSize)
		if perr == nil {
			if f, isF := m.(*frame.OpenFailure); isF {
				return fmt.Sprintf("92 reason %d", f.Reason), true
			}
			return fmt.Sprintf("message %d (%T) then %s", m.Type(), m, Describe(err)), false
		}
	}
	if err == nil {
		return "FIN without 92", true
	}
	return Describe(err), false
}

var errNoKey = errors.New("needs the user's private key (-i)")

// withConv is a check that starts with a fresh conversation: f runs with
// it, or the check fails when none can be had.
func withConv(f func(t *T, cv *Conv)) func(t *T) {
	return func(t *T) {
		if cv := t.mustConv(); cv != nil {
			f(t, cv)
		}
	}
}

// needCaps runs f only against a target that announced every capability in
// need: a ssh3-alpha server that lists none of them (the original lists
// none) makes the row n/a, since the behaviour it checks is gated on them
// (P-N2-2), and sending it what it did not ask for can crash it (its
// message parser panics on 96, 97, 99 and 100). rth3-00 has them all.
func needCaps(need frame.Caps, f func(t *T)) func(t *T) {
	return func(t *T) {
		if t.p == frame.Alpha {
			cv := t.mustConv()
			if cv == nil {
				return
			}
			h := cv.Resp.Header.Get(t.p.ResponseVersionHeader())
			v, err := frame.ParseAlphaVersion(h)
			if err != nil || !v.Caps.Has(need) {
				t.na(fmt.Sprintf("the server announced no %s capability (server %q), and the row checks behaviour gated on it", need, h))
				return
			}
		}
		f(t)
	}
}

// ownRules reports whether the target has taken on this project's
// decisions (spec/SPEC.md, the P-* rows and the bounds SPEC.md adds to
// X-ROB rows): every rth3-00 target (the profile is this project's
// reading of the draft), and a ssh3-alpha server that announces
// capabilities. The original (francoismichel/ssh3 v0.1.7) announces none
// and never promised them. h is the server's version header; when no
// conversation has shown it yet, ownRules opens one, and if that fails it
// answers true (a check against a target it cannot reach is not excused).
func (t *T) ownRules() (own bool, h string) {
	if t.p != frame.Alpha {
		return true, ""
	}
	h, ok := t.s.serverVersion()
	if !ok {
		cv, err := t.connectOK()
		if err != nil {
			return true, ""
		}
		h = cv.Resp.Header.Get(t.p.ResponseVersionHeader())
	}
	v, err := frame.ParseAlphaVersion(h)
	return err == nil && v.Caps != 0, h
}

// projectRule runs f, a check of one of this project's decisions that
// neither the draft nor an RFC asks of other implementations. Toward a
// target that has not taken on this project's rules (ownRules), a
// difference from the decision is n/a with the reason, not a failure; a
// pass stays a pass, and a check that cannot start a conversation still
// fails.
func projectRule(f func(t *T)) func(t *T) {
	return func(t *T) {
		if own, h := t.ownRules(); !own {
			t.mu.Lock()
			t.notPromised = notPromisedReason(h)
			t.mu.Unlock()
		}
		f(t)
	}
}

func notPromisedReason(h string) string {
	return fmt.Sprintf("this project's own decision (spec/SPEC.md); the server announces none of this project's capabilities (server %q), so it never promised it; what it did is under observed", h)
}

// takesReplies reports whether the server of cv answers want-reply with
// 99/100: always in rth3-00, with the reply capability in ssh3-alpha.
func (t *T) takesReplies(cv *Conv) bool { return t.peerHas(cv, frame.CapReply) }

// peerHas reports whether the server of cv announced every capability in
// need: always in rth3-00, from its version header in ssh3-alpha.
func (t *T) peerHas(cv *Conv, need frame.Caps) bool {
	if cv.P != frame.Alpha {
		return true
	}
	v, err := frame.ParseAlphaVersion(cv.Resp.Header.Get(cv.P.ResponseVersionHeader()))
	return err == nil && v.Caps.Has(need)
}
