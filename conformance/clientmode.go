package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"crypto/tls"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// Client-under-test mode: the suite listens on loopback as an SSH3 server
// (h3server.go), runs the client under test from the -client-cmd template
// once per scenario, and checks what the client sent and how it ended.

// clientRun is one run of the client under test against a scenario.
type clientRun struct {
	cap      *capture
	exit     int // -1: killed by the suite's timeout
	stdout   string
	stderr   string
	took     time.Duration
	cert     []byte
	startErr error
}

// setExit records how the run ended from its Wait error: -1 when ctx ended
// it (the time limit), the exit code, or a failure to start.
func (r *clientRun) setExit(ctx context.Context, err error) {
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.exit = -1
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
	case err != nil:
		r.startErr = err
	}
}

func (r *clientRun) ended() string {
	s := fmt.Sprintf("exit %d after %s", r.exit, r.took.Round(10*time.Millisecond))
	if r.exit == -1 {
		s = "killed by the suite after " + r.took.Round(time.Second).String()
	}
	if e := strings.TrimSpace(r.stderr); e != "" {
		s += fmt.Sprintf(", stderr %q", trunc(e, 120))
	}
	return s
}

// panicked reports whether the client's stderr shows a crash.
func (r *clientRun) panicked() bool {
	return strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "SIGSEGV")
}

// runOpts are per-run settings of the client process.
type runOpts struct {
	secure     bool   // strip -insecure from the template
	knownHosts []byte // DER of a certificate to pin in ~/.ssh3/known_hosts
	stdin      []byte
	wait       time.Duration
}

// runClient serves sc and runs the client under test once.
func (s *Suite) runClient(ctx context.Context, sc scenario, o runOpts) *clientRun {
	cert, err := s.clientCert()
	if err != nil {
		return &clientRun{startErr: err}
	}
	f, err := startFake(cert, sc)
	if err != nil {
		return &clientRun{startErr: err}
	}
	defer f.Close()
	home, err := os.MkdirTemp("", "ssh3-conformance-home-")
	if err != nil {
		return &clientRun{startErr: err}
	}
	defer os.RemoveAll(home)
	if o.knownHosts != nil {
		_ = os.MkdirAll(filepath.Join(home, ".ssh3"), 0o700)
		host, port := splitHostPort(f.Addr)
		line := fmt.Sprintf("%s:%s%s x509-certificate %s\n", host, port, "/ssh3-term", base64.StdEncoding.EncodeToString(o.knownHosts))
		_ = os.WriteFile(filepath.Join(home, ".ssh3", "known_hosts"), []byte(line), 0o600)
	}
	args, err := s.expand(sc.profile, f.Addr, o.secure)
	if err != nil {
		return &clientRun{startErr: err}
	}
	wait := o.wait
	if wait == 0 {
		wait = s.cfg.Timeout
	}
	r := runProcess(ctx, args, home, nil, o.stdin, wait)
	r.cap, r.cert = f.cap, cert.Certificate[0]
	// Let the server see the client's CONNECTION_CLOSE before the fake
	// server is closed (which would close the connection itself).
	f.waitClosed(2 * time.Second)
	return r
}

// clientProcess is the client under test as a process of its own session
// (no controlling terminal to prompt on, and the whole group can be
// killed), with HOME set to home, NO_COLOR, and env added.
func clientProcess(ctx context.Context, args []string, home string, env []string, stdin []byte) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	cmd = exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), "HOME="+home, "NO_COLOR=1"), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 2 * time.Second
	return cmd, stdout, stderr
}

// killGroup kills the client's whole process group: nothing is left behind.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// runProcess runs the client under test to its end, killed after wait.
func runProcess(ctx context.Context, args []string, home string, env []string, stdin []byte, wait time.Duration) *clientRun {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	cmd, stdout, stderr := clientProcess(cctx, args, home, env, stdin)
	start := time.Now()
	err := cmd.Run()
	r := &clientRun{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	r.setExit(cctx, err)
	_ = killGroup(cmd)
	return r
}

func splitHostPort(a string) (string, string) {
	i := strings.LastIndexByte(a, ':')
	return a[:i], a[i+1:]
}

// expand fills the -client-cmd template: {key} {user} {hostport} {path}
// {cmd} {profile}. secure drops an -insecure word.
func (s *Suite) expand(p *frame.Profile, addr string, secure bool) ([]string, error) {
	return s.fill("-client-cmd", s.cfg.ClientCmd, p, addr, secure, s.clientUser())
}

// fill splits the template tmpl (given as flag) into words and fills them:
// {key} {user} {hostport} {path} {cmd} {profile}, then the extra
// placeholder and value pairs. secure drops an -insecure word.
func (s *Suite) fill(flag, tmpl string, p *frame.Profile, addr string, secure bool, user string, extra ...string) ([]string, error) {
	pairs := []string{"{key}", s.cfg.Target.KeyFile, "{user}", user, "{hostport}", addr,
		"{path}", "/ssh3-term", "{cmd}", "conformance-cmd", "{profile}", p.Name()}
	r := strings.NewReplacer(append(pairs, extra...)...)
	var out []string
	for _, w := range strings.Fields(tmpl) {
		if secure && (w == "-insecure" || w == "--insecure") {
			continue
		}
		out = append(out, r.Replace(w))
	}
	if len(out) == 0 {
		return nil, errors.New("conformance: empty " + flag)
	}
	return out, nil
}

func (s *Suite) clientUser() string {
	if s.cfg.Target.User != "" {
		return s.cfg.Target.User
	}
	return "conformance"
}

func (s *Suite) clientCert() (tls.Certificate, error) {
	s.certOnce.Do(func() { s.cert, s.certErr = selfSigned() })
	return s.cert, s.certErr
}

// clientDefs are the client-under-test checks. Each runs its scenario in
// the check's profile.
func clientDefs() []def {
	return []def{
		{ID: "R-3-1", Name: "ClientProtocolToken", run: cc(checkClientProtocol)},
		{ID: "R-3-2", Name: "ClientSchemeHTTPS", run: cc(checkClientScheme)},
		{ID: "R-3-3", Name: "ClientAnnouncesDatagrams", run: cc(checkClientDatagrams)},
		{ID: "R-3-4", Name: "ClientSendsExtendedConnect", run: cc(checkClientExtendedConnect)},
		{ID: "R-3-6", Name: "ClientSendsAuthorization", run: cc(checkClientAuthorization)},
		{ID: "R-3-8", Name: "ClientNamesItsConversation", run: cc(checkClientConversationID)},
		{ID: "R-3.1.1-1", Name: "ClientBasicUserMatches", run: needs("-client-password-cmd")},
		{ID: "R-3.1.2-1", Name: "ClientJWTClaims", run: cc(checkClientClaims)},
		{ID: "R-3.1.2-2", Name: "ClientJTIIsExporter", run: cc(checkClientJTI)},
		{ID: "R-4-1", Name: "ClientMessagesDecode", run: cc(checkClientMessages)},
		{ID: "R-4.1.1-1", Name: "ClientChannelStreams", run: cc(checkClientStreams)},
		{ID: "R-4.1.1-2", Name: "ClientHeaderBytes", run: cc(checkClientHeader)},
		{ID: "R-4.1.1-3", Name: "ClientHonoursMaxMessageSize", run: cc(checkClientMax)},
		{ID: "R-4.1.4-1", Name: "ClientExitsWithStatus", run: cc(checkClientExit)},
		{ID: "R-6-1", Name: "ClientVersionHeader", run: cc(checkClientVersion)},
		{ID: "R-8-4", Name: "ClientStopsOnUntrustedCertificate", run: cc(checkClientUntrusted)},
		{ID: "H-9220-1", Name: "ClientConnectSettingWait", run: cc(checkClientWait08)},
		{ID: "H-9220-2", Name: "ClientPseudoHeaders", run: cc(checkClientPseudo)},
		{ID: "H-9114-1", Name: "ClientALPN", run: cc(checkClientALPN)},
		{ID: "H-9114-2", Name: "ClientRefusesServerBidi", run: cc(checkClientServerBidi)},
		{ID: "H-9297-1", Name: "ClientBadDatagramSetting", run: cc(checkClientBadSetting)},
		{ID: "H-9297-2", Name: "ClientBadQuarterStreamID", run: cc(checkClientBadQSID)},
		{ID: "H-7617-1", Name: "ClientRefusesBadBasicUser", run: needs("-client-password-cmd")},
		{ID: "H-9000-1", Name: "ClientAcceptsNonMinimal", run: cc(checkClientNonMinimal)},
		{ID: "X-ROB-30", Name: "ClientUDPForwardSurvivesOversized", run: needs("-client-udp-cmd")},
		{ID: "X-ROB-37", Name: "ClientSurvivesUnexpected", run: cc(checkClientUnexpected)},
		{ID: "X-ROB-38", Name: "ClientEndsWhenServerGoes", run: cc(checkClientServerGone)},
		{ID: "X-ROB-39", Name: "ClientStopsOnChangedCertificate", run: cc(checkClientPinMismatch)},
		{ID: "X-ROB-40", Name: "ClientHoldsBackTowardReference", run: cc(checkClientHoldsBack)},
		{ID: "P-AUTH-8", Name: "ClientKnownHostsPinning", run: cc(checkClientPinMatch)},
		{ID: "P-G13-1", Name: "ClientNoEarlyConnect", run: cc(checkClientNoEarly)},
		{ID: "P-N2-3", Name: "ClientPipelinesBaseline", run: cc(checkClientBaseline)},
	}
}

// cc marks a client check (the def's run gets the T; the scenario run is
// shared through the suite's cache of the main scenario).
func cc(f func(t *T)) func(t *T) { return f }

// templated are the checks that run one of the templates beyond
// Config.ClientCmd (ClientPasswordCmd, ClientUDPCmd); each is skipped,
// naming the flag, when its template is empty.
func templated(id string, cfg *Config) func(t *T) {
	tp := struct{ Password, UDP string }{cfg.ClientPasswordCmd, cfg.ClientUDPCmd}
	switch {
	case id == "R-3.1.1-1" && tp.Password != "":
		return func(t *T) { checkClientBasic(t, tp.Password) }
	case id == "H-7617-1" && tp.Password != "":
		return func(t *T) { checkClientBadBasicUser(t, tp.Password) }
	case id == "X-ROB-30" && tp.UDP != "":
		return func(t *T) { checkClientUDPOversized(t, tp.UDP) }
	}
	return nil
}

// needs is the run of a check whose template flag was not given.
func needs(flag string) func(t *T) {
	return func(t *T) { t.skip("needs " + flag + " (a client template for this scenario)") }
}

// RunClient runs client-under-test mode in each of the client profiles.
func (s *Suite) RunClient(ctx context.Context) []*Report {
	profiles := s.cfg.ClientProfiles
	if len(profiles) == 0 {
		if p, err := frame.ProfileByName(s.cfg.Target.Profile); err == nil {
			profiles = []*frame.Profile{p}
		} else {
			profiles = []*frame.Profile{frame.Alpha}
		}
	}
	var out []*Report
	for _, p := range profiles {
		r := &Report{Target: "client: " + s.cfg.ClientCmd, Profile: p.Name(), Mode: "client-under-test"}
		var defs []def
		for _, d := range clientDefs() {
			if s.cfg.Run != nil && !s.cfg.Run.MatchString(d.ID) {
				continue
			}
			if run := templated(d.ID, &s.cfg); run != nil {
				d.run = run
			}
			if s.cfg.ClientCmd == "" && d.run != nil {
				reason := s.cfg.ClientSkip
				if reason == "" {
					reason = "no -client-cmd given"
				}
				d.run, d.result, d.reason = nil, Skip, reason
			}
			defs = append(defs, d)
		}
		s.mainRuns = map[string]*clientRun{}
		for _, d := range defs {
			c := s.runDef(ctx, p, d, "client-under-test")
			c.Group = fmt.Sprintf("client-under-test · %s · %s", p.Name(), s.cfg.ClientCmd)
			r.Checks = append(r.Checks, c)
		}
		sortByRequirement(r.Checks)
		out = append(out, r)
	}
	return out
}

// main runs (once per profile, cached) the main scenario: a normal
// session whose 200 is held 300 ms, our 91 announcing 1024 in rth3-00,
// 4000 bytes on the client's stdin, and exit-status 3 sent with a
// non-minimal varint.
func (t *T) main() *clientRun {
	t.s.mainMu.Lock()
	defer t.s.mainMu.Unlock()
	if r, ok := t.s.mainRuns[t.p.Name()]; ok {
		return r
	}
	es := wire.AppendVarint(nil, uint64(frame.MsgRequest))
	es = wire.AppendString(es, "exit-status")
	es = wire.AppendBool(es, false)
	es = wire.AppendVarintLen(es, 3, 8)
	sc := scenario{profile: t.p, delay200: 300 * time.Millisecond, exitStatus: es}
	if t.p == frame.RTH300 {
		sc.confirmMax = 1024
	}
	r := t.s.runClient(t.ctx, sc, runOpts{stdin: bytes.Repeat([]byte("a"), 4000)})
	t.s.mainRuns[t.p.Name()] = r
	return r
}

// mainOK returns the main run's capture with at least one request, or
// fails the check.
func (t *T) mainReq() (*clientRun, capturedRequest, bool) {
	r := t.main()
	if r.startErr != nil {
		t.fail("the client runs", r.startErr.Error())
		return r, capturedRequest{}, false
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	if len(r.cap.requests) == 0 {
		t.fail("the client sends a CONNECT", "no request; client "+r.ended())
		return r, capturedRequest{}, false
	}
	return r, r.cap.requests[0], true
}

func fieldOf(req capturedRequest, name string) (string, bool) {
	for _, f := range req.fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func (t *T) expectField(name, want string) {
	_, req, ok := t.mainReq()
	if !ok {
		return
	}
	v, present := fieldOf(req, name)
	obs := fmt.Sprintf("%s: %q (present %v)", name, v, present)
	t.expect(present && v == want, name+" = "+want, obs)
}

func checkClientProtocol(t *T)        { t.expectField(":protocol", t.p.Protocol()) }
func checkClientScheme(t *T)          { t.expectField(":scheme", "https") }
func checkClientExtendedConnect(t *T) { t.expectField(":method", "CONNECT") }

func checkClientDatagrams(t *T) {
	r, _, ok := t.mainReq()
	if !ok {
		return
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	v, has := settingValue(r.cap.settings, settingH3Datagram)
	obs := fmt.Sprintf("SETTINGS %v (%v), datagram transport parameter %v", r.cap.settings, r.cap.settingsErr, r.cap.datagramTP)
	t.expect(has && v == 1 && r.cap.datagramTP, "SETTINGS_H3_DATAGRAM=1 with the transport parameter (the client forwards UDP)", obs)
}

func checkClientAuthorization(t *T) {
	_, req, ok := t.mainReq()
	if !ok {
		return
	}
	v, present := fieldOf(req, "authorization")
	scheme, _, _ := strings.Cut(v, " ")
	if present && v != "" {
		t.pass("authorization on the CONNECT", "authorization: "+scheme+" …")
		return
	}
	t.fail("authorization on the CONNECT", "absent")
}

func (t *T) sessionChannel(r *clientRun) *capturedChannel {
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	for _, c := range r.cap.channels {
		if c.headerErr == nil && c.header.Type == frame.ChannelSession {
			return c
		}
	}
	if len(r.cap.channels) > 0 {
		return r.cap.channels[0]
	}
	return nil
}

// mainChannel is the main run's CONNECT and session channel (or first
// channel); ch is nil when the check has already been reported (failed
// with expected when the client opened no channel).
func (t *T) mainChannel(expected string) (r *clientRun, req capturedRequest, ch *capturedChannel) {
	r, req, ok := t.mainReq()
	if !ok {
		return r, req, nil
	}
	if ch = t.sessionChannel(r); ch == nil {
		t.fail(expected, "none; client "+r.ended())
	}
	return r, req, ch
}

func checkClientConversationID(t *T) {
	_, req, ch := t.mainChannel("a channel naming the CONNECT stream")
	if ch == nil {
		return
	}
	obs := fmt.Sprintf("CONNECT on stream %d; channel header names %d", req.streamID, ch.header.Conversation)
	if ch.header.Conversation == req.streamID && ch.headerErr == nil {
		t.pass("channel headers carry the CONNECT stream ID", obs)
		return
	}
	t.fail("channel headers carry the CONNECT stream ID", obs+" "+Describe(ch.headerErr))
}

func (t *T) clientClaims() (map[string]any, capturedRequest, bool) {
	_, req, ok := t.mainReq()
	if !ok {
		return nil, req, false
	}
	v, _ := fieldOf(req, "authorization")
	if !strings.HasPrefix(strings.ToLower(v), "bearer ") {
		t.skip("the client did not send a Bearer token")
		return nil, req, false
	}
	_, claims, err := DecodeJWT(v[7:])
	if err != nil {
		t.fail("a JWT", err.Error())
		return nil, req, false
	}
	return claims, req, true
}

func checkClientClaims(t *T) {
	claims, _, ok := t.clientClaims()
	if !ok {
		return
	}
	user := t.s.clientUser()
	var bad []string
	want := map[string]any{"sub": "remote-terminal-" + user}
	if t.p == frame.Alpha {
		want = map[string]any{"iss": user, "sub": "ssh3", "client_id": "ssh3-" + user}
	}
	for k, v := range want {
		if claims[k] != v {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", k, claims[k], v))
		}
	}
	if t.p == frame.Alpha && !strings.Contains(fmt.Sprint(claims["aud"]), "unused") {
		bad = append(bad, fmt.Sprintf("aud = %v", claims["aud"]))
	}
	iat, ok1 := claims["iat"].(float64)
	exp, ok2 := claims["exp"].(float64)
	if !ok1 || !ok2 || exp-iat <= 0 || exp-iat > 300 {
		bad = append(bad, fmt.Sprintf("iat %v exp %v (exp must be close after iat)", claims["iat"], claims["exp"]))
	}
	if _, ok := claims["jti"]; !ok {
		bad = append(bad, "no jti")
	}
	t.verdict("the profile's claim set", []string{fmt.Sprint(claims)}, bad)
}

func checkClientJTI(t *T) {
	claims, req, ok := t.clientClaims()
	if !ok {
		return
	}
	want := base64.StdEncoding.EncodeToString(req.binding)
	obs := fmt.Sprintf("jti %v; exporter %s", claims["jti"], want)
	t.expect(claims["jti"] == want, "jti = base64(EXPORTER-SSH3)", obs)
}

func checkClientMessages(t *T) {
	r, _, ch := t.mainChannel("a session channel")
	if ch == nil {
		return
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	var kinds []string
	for _, m := range ch.msgs {
		k := fmt.Sprint(uint64(m.Type()))
		if q, ok := m.(frame.Request); ok {
			k += "(" + q.Name() + ")"
		}
		kinds = append(kinds, k)
	}
	obs := fmt.Sprintf("messages %s; ended %s", strings.Join(kinds, ","), map[bool]string{true: "FIN", false: Describe(ch.readErr)}[ch.fin])
	t.expect(ch.readErr == nil || IsTimeout(ch.readErr) || isStreamEnd(ch.readErr), "every message decodes (varints, varint lengths, one-byte booleans)", obs)
}

func isStreamEnd(err error) bool {
	_, reset := ResetCode(err)
	_, closed := CloseCode(err)
	return reset || closed || strings.Contains(fmt.Sprint(err), "Application error") || strings.Contains(fmt.Sprint(err), "canceled")
}

func checkClientStreams(t *T) {
	r, _, ok := t.mainReq()
	if !ok {
		return
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	var ids []string
	bad := false
	for _, c := range r.cap.channels {
		ids = append(ids, fmt.Sprint(c.streamID))
		if c.streamID%4 != 0 {
			bad = true
		}
	}
	obs := "channel stream IDs " + strings.Join(ids, ",")
	t.expect(len(ids) > 0 && !bad, "client-initiated bidi streams (≡ 0 mod 4)", obs)
}

func checkClientHeader(t *T) {
	_, req, ch := t.mainChannel("a session channel")
	if ch == nil {
		return
	}
	want := header(t.p, req.streamID, frame.ChannelSession, nil, ch.header.MaxMessageSize)
	obs := fmt.Sprintf("% x", ch.headerRaw)
	sig := wire.AppendVarintLen(nil, t.p.Signal(), 8)
	if bytes.Equal(ch.headerRaw, want) || bytes.HasPrefix(ch.headerRaw, sig) && ch.headerErr == nil {
		t.pass(fmt.Sprintf("signal (8-byte varint % x), conversation, type length, type, max", sig), obs)
		return
	}
	t.fail(fmt.Sprintf("% x", want), obs+" "+Describe(ch.headerErr))
}

func checkClientMax(t *T) {
	r, _, ch := t.mainChannel("a session channel")
	if ch == nil {
		return
	}
	limit := 1024
	if t.p == frame.Alpha {
		limit = frame.DefaultMaxMessageSize // the reference ignores 91's value (N3)
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	biggest, n := 0, 0
	for i, sz := range ch.sizes {
		if ch.afterOK[i] {
			biggest = max(biggest, sz)
			n++
		}
	}
	obs := fmt.Sprintf("%d messages after our 91 (max %d), largest %d bytes; read error %s", n, limit, biggest, Describe(ch.readErr))
	t.expect(biggest <= limit && !errors.Is(ch.readErr, frame.ErrTooLarge), fmt.Sprintf("every message ≤ %d bytes", limit), obs)
}

func checkClientExit(t *T) {
	r := t.main()
	if r.startErr != nil {
		t.fail("the client runs", r.startErr.Error())
		return
	}
	obs := fmt.Sprintf("stdout %q; %s", trunc(r.stdout, 40), r.ended())
	t.expect(r.exit == 3 && strings.Contains(r.stdout, "conformance-output"), "the client prints the output and exits with 3", obs)
}

func checkClientNonMinimal(t *T) {
	// The exit status counts only when the client got as far as the
	// session that carried it.
	r, _, ch := t.mainChannel("a session channel that gets the exit-status")
	if ch == nil {
		return
	}
	obs := fmt.Sprintf("exit-status sent with status as c0 00 00 00 00 00 00 03; %s", r.ended())
	t.expect(r.exit == 3, "non-minimal varints decode: the client exits 3", obs)
}

var tokenRE = regexp.MustCompile(`^[!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+$`)

func checkClientVersion(t *T) {
	_, req, ok := t.mainReq()
	if !ok {
		return
	}
	if t.p == frame.Alpha {
		ua, _ := fieldOf(req, "user-agent")
		_, err := frame.ParseAlphaVersion(ua)
		if err == nil && strings.Contains(ua, "experimental_spec_version=alpha-00") {
			t.pass("user-agent: SSH 3.0 <impl> X.Y.Z experimental_spec_version=alpha-00", "user-agent: "+ua)
			return
		}
		t.fail("user-agent: SSH 3.0 <impl> X.Y.Z experimental_spec_version=alpha-00", fmt.Sprintf("user-agent: %q (%v)", ua, err))
		return
	}
	v, present := fieldOf(req, "remote-terminal-version")
	good := present
	for _, e := range strings.Split(v, ",") {
		if !tokenRE.MatchString(strings.TrimSpace(e)) {
			good = false
		}
	}
	if good {
		t.pass("remote-terminal-version: 1#token", "remote-terminal-version: "+v)
		return
	}
	t.fail("remote-terminal-version: 1#token", fmt.Sprintf("%q present %v", v, present))
}

func (t *T) requireSecureTemplate() bool {
	if !strings.Contains(" "+t.s.cfg.ClientCmd+" ", " -insecure ") {
		t.skip("the -client-cmd template has no -insecure word to drop for a verifying run")
		return false
	}
	return true
}

func noAuthorization(r *clientRun) bool {
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	for _, q := range r.cap.requests {
		if _, ok := fieldOf(q, "authorization"); ok {
			return false
		}
	}
	return true
}

// secureRun runs the client without its -insecure word (the check is
// skipped when the template has none), with the certificate pin gives
// pinned in known_hosts when pin is not nil. obs tells how the client
// ended and whether credentials reached the suite; r is nil when the check
// has already been reported.
func (t *T) secureRun(pin func() (tls.Certificate, error)) (r *clientRun, obs string) {
	if !t.requireSecureTemplate() {
		return nil, ""
	}
	var known []byte
	if pin != nil && t.s.cfg.ClientHomeFromUserDB {
		t.na("the client finds its home in the user database, not $HOME (-client-home-from-userdb): the known_hosts the suite writes under its temporary $HOME never reaches it")
		return nil, ""
	}
	if pin != nil {
		cert, err := pin()
		if err != nil {
			t.fail("certificate", err.Error())
			return nil, ""
		}
		known = cert.Certificate[0]
	}
	r = t.s.runClient(t.ctx, scenario{profile: t.p}, runOpts{secure: true, knownHosts: known})
	return r, r.ended() + fmt.Sprintf("; authorization received: %v", !noAuthorization(r))
}

func checkClientUntrusted(t *T) {
	if r, obs := t.secureRun(nil); r != nil {
		t.expect(r.exit > 0 && noAuthorization(r), "without a terminal the client stops before sending authorization", obs)
	}
}

func checkClientPinMismatch(t *T) {
	if r, obs := t.secureRun(selfSigned); r != nil {
		t.expect(r.exit > 0 && noAuthorization(r) && !r.panicked(), "a changed certificate stops the client (non-zero exit) before credentials", obs)
	}
}

func checkClientPinMatch(t *T) {
	if r, obs := t.secureRun(t.s.clientCert); r != nil {
		t.expect(r.exit == 3, "the reference known_hosts line pins the certificate: the client connects", obs)
	}
}

func checkClientWait08(t *T) {
	// The control: with 0x08 the client does send a CONNECT, so that a
	// client that sends none at all does not pass.
	if _, _, ok := t.mainReq(); !ok {
		return
	}
	r := t.s.runClient(t.ctx, scenario{profile: t.p, settings: []Setting{{settingH3Datagram, 1}}}, runOpts{wait: 8 * time.Second})
	r.cap.mu.Lock()
	n := len(r.cap.requests)
	r.cap.mu.Unlock()
	obs := fmt.Sprintf("SETTINGS without 0x08: %d CONNECT(s) received; client %s", n, r.ended())
	if t.p == frame.Alpha {
		t.expect(n > 0, "alpha: the client does not wait for 0x08 (reversed rule)", obs)
		return
	}
	t.expect(n == 0 && r.exit != 0, "rth3-00: no :protocol without 0x08; the client gives up (bounded)", obs)
}

func checkClientPseudo(t *T) {
	_, req, ok := t.mainReq()
	if !ok {
		return
	}
	var missing []string
	for _, n := range []string{":method", ":protocol", ":scheme", ":path", ":authority"} {
		if _, ok := fieldOf(req, n); !ok {
			missing = append(missing, n)
		}
	}
	var names []string
	for _, f := range req.fields {
		names = append(names, f.Name)
	}
	obs := "fields " + strings.Join(names, ",")
	if len(missing) == 0 {
		t.pass("all five pseudo-headers", obs)
		return
	}
	t.fail("all five pseudo-headers", obs+"; missing "+strings.Join(missing, ","))
}

func checkClientALPN(t *T) {
	_, _, ok := t.mainReq()
	if ok {
		t.pass("the client negotiates h3 (the suite offers only h3)", "handshake with ALPN h3 completed and a CONNECT arrived")
	}
}

func (t *T) closedWith(r *clientRun, code uint64) (string, bool) {
	// The fake server records the close when its connection goroutine
	// ends, which can be just after the client process has exited.
	deadline := time.Now().Add(3 * time.Second)
	for {
		r.cap.mu.Lock()
		closeErr := r.cap.closeErr
		r.cap.mu.Unlock()
		if closeErr != nil || time.Now().After(deadline) {
			got, ok := CloseCode(closeErr)
			return Describe(closeErr), ok && got == code
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runObservingClose runs the client until the fake server sees how it
// closed the connection. A run in which no close reached the server at all
// (the client process exited before its CONNECTION_CLOSE was delivered, or
// closed before the handshake was confirmed, when RFC 9000 §10.2.3 hides
// the code) observes nothing, and is run again, at most three times; a
// close with the wrong code is never retried.
func (t *T) runObservingClose(sc scenario, code uint64) (*clientRun, string, bool) {
	var r *clientRun
	var desc string
	var ok bool
	for try := 0; try < 3; try++ {
		r = t.s.runClient(t.ctx, sc, runOpts{})
		desc, ok = t.closedWith(r, code)
		r.cap.mu.Lock()
		seen := closedByPeer(r.cap.closeErr)
		r.cap.mu.Unlock()
		if ok || seen {
			break
		}
		desc += fmt.Sprintf(" (attempt %d: no close observed)", try+1)
	}
	return r, desc, ok
}

func checkClientServerBidi(t *T) {
	r := t.s.runClient(t.ctx, scenario{profile: t.p, openBidi: true}, runOpts{})
	r.cap.mu.Lock()
	openErr := r.cap.openBidiErr
	r.cap.mu.Unlock()
	if openErr != nil {
		t.pass("the client closes with 0x103, or grants no bidi stream credit at all", "the client's transport parameters allow no server-initiated bidi stream: "+openErr.Error())
		return
	}
	desc, ok := t.closedWith(r, 0x103)
	obs := "connection " + desc + "; client " + r.ended()
	t.expect(ok, "the client closes with H3_STREAM_CREATION_ERROR 0x103", obs)
}

// expectClientClose runs sc until the close is observed (runObservingClose)
// and passes when the client closed the connection with code; what
// prefixes the observation.
func (t *T) expectClientClose(sc scenario, code uint64, what string) {
	r, desc, ok := t.runObservingClose(sc, code)
	t.expect(ok, "the client closes with "+CodeName(code), what+"connection "+desc+"; client "+r.ended())
}

func checkClientBadSetting(t *T) {
	t.expectClientClose(scenario{profile: t.p, settings: []Setting{{settingConnectProtocol, 1}, {settingH3Datagram, 2}}}, 0x109, "")
}

func checkClientBadQSID(t *T) {
	t.expectClientClose(scenario{profile: t.p, datagram: wire.AppendVarintLen(nil, 1<<60, 8), delay200: 0}, 0x33, "datagram with QSID 2^60 → ")
}

func checkClientUnexpected(t *T) {
	p := t.p
	msg := func(m frame.Message) []byte {
		b, _ := frame.AppendMessage(nil, m, p, frame.DefaultMaxMessageSize)
		return b
	}
	var obs, bad []string
	for _, run := range []struct {
		what       string // what the session gets before its output
		beforeExit [][]byte
	}{
		{"unsolicited 99, 100 and an unknown request", [][]byte{
			msg(&frame.Success{}), msg(&frame.Failure{}), msg(&frame.UnknownRequest{RequestName: "x-probe@example.org"})}},
		{"unknown message 0x3fff", [][]byte{wire.AppendVarint(nil, 0x3fff)}},
	} {
		r := t.s.runClient(t.ctx, scenario{profile: p, beforeExit: run.beforeExit}, runOpts{})
		obs = append(obs, run.what+", then output and exit-status 3 → "+r.ended())
		if r.panicked() || r.exit == -1 {
			bad = append(bad, "crash or hang on "+run.what)
		}
		if t.sessionChannel(r) == nil {
			bad = append(bad, "no session channel opened: "+run.what+" never delivered")
		}
	}
	t.verdict("no crash: at most that channel fails and the client reports it cleanly", obs, bad)
}

func checkClientServerGone(t *T) {
	r := t.s.runClient(t.ctx, scenario{profile: t.p, noExit: true}, runOpts{})
	if t.sessionChannel(r) == nil {
		t.fail("the client opens its session, then exits non-zero promptly", "no session channel opened; client "+r.ended())
		return
	}
	obs := "session channel FIN without exit-status → " + r.ended()
	t.expect(r.exit > 0 && !r.panicked(), "the client exits non-zero promptly", obs)
}

// referenceRequests are the request names a v0.1.7 peer accepts.
var referenceRequests = map[string]bool{"pty-req": true, "shell": true, "exec": true, "subsystem": true, "signal": true, "x11-req": true}

func checkClientHoldsBack(t *T) {
	r, _, ok := t.mainReq()
	if !ok {
		return
	}
	ch := t.sessionChannel(r)
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	var bad, seen []string
	if ch != nil {
		for _, m := range ch.msgs {
			k := fmt.Sprint(uint64(m.Type()))
			switch m.Type() {
			case 91, 92, 94, 95:
			case 98:
				if q, ok := m.(frame.Request); ok {
					k += "(" + q.Name() + ")"
					if !referenceRequests[q.Name()] {
						bad = append(bad, "request "+q.Name())
					}
				}
			default:
				bad = append(bad, "message "+k)
			}
			seen = append(seen, k)
		}
		if ch.fin {
			bad = append(bad, "FIN on the session channel")
		}
	}
	for _, hs := range r.cap.handshakeAtReq {
		if !hs {
			bad = append(bad, "CONNECT in 0-RTT")
		}
	}
	t.verdict("only 91/92/94/95/98 with reference request names, no FIN on the session channel, no 0-RTT CONNECT", []string{"sent " + strings.Join(seen, ",")}, bad)
}

func checkClientNoEarly(t *T) {
	r, _, ok := t.mainReq()
	if !ok {
		return
	}
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	for _, hs := range r.cap.handshakeAtReq {
		if !hs {
			t.fail("the CONNECT never arrives in 0-RTT", "a CONNECT arrived before the handshake completed")
			return
		}
	}
	t.pass("the CONNECT never arrives in 0-RTT", "every CONNECT arrived after the handshake (the client had no ticket: first contact)")
}

func checkClientBaseline(t *T) {
	if t.p != frame.Alpha {
		t.na("ssh3-alpha only")
		return
	}
	r, _, ok := t.mainReq()
	if !ok {
		return
	}
	ch := t.sessionChannel(r)
	r.cap.mu.Lock()
	defer r.cap.mu.Unlock()
	var early, bad []string
	if ch != nil {
		for i, m := range ch.msgs {
			if ch.afterOK[i] {
				continue
			}
			k := fmt.Sprint(uint64(m.Type()))
			if q, ok := m.(frame.Request); ok {
				k += "(" + q.Name() + ")"
				if !referenceRequests[q.Name()] {
					bad = append(bad, k)
				}
			} else if m.Type() != 94 {
				bad = append(bad, k)
			}
			early = append(early, k)
		}
	}
	t.verdict("before the 200 (held 300 ms) only baseline messages", []string{"before the 200: " + strings.Join(early, ",")}, bad)
}
