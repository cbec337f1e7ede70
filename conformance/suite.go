package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/frame"
)

// Target is the implementation under test when the suite is the client.
type Target struct {
	URL      string // https://host:port/path
	User     string
	KeyFile  string // private key for JWT logins
	Password string // for Basic logins
	Profile  string // ssh3-alpha, rth3-00 or auto
	Insecure bool   // skip certificate verification
	CAFile   string // PEM roots to verify the target with
}

// Config configures a suite run.
type Config struct {
	Target Target
	// Signer is the user's key; if nil, Target.KeyFile is loaded.
	Signer ssh.Signer
	// FixtureKeys are keys authorized for the user with one option each,
	// by Fixture name (P-AUTH-1, P-AUTH-4); see LoadFixtures.
	FixtureKeys map[string]ssh.Signer
	// OIDC is the suite's own OpenID provider, trusted by the target
	// through its IdentityLine (P-AUTH-3); nil skips that row.
	OIDC *OIDCIssuer
	// Run selects checks by ID (nil: all).
	Run *regexp.Regexp
	// Timeout bounds each check (default 20 s).
	Timeout time.Duration
	// ClientCmd is the client-under-test template (see RunClient).
	ClientCmd string
	// ClientPasswordCmd logs in with a password (R-3.1.1-1, H-7617-1):
	// {user} {hostport} {path} {cmd} {profile}. The suite gives the
	// password through SSH_ASKPASS (with SSH_ASKPASS_REQUIRE=force and
	// DISPLAY), as ssh(1) reads it without a terminal.
	ClientPasswordCmd string
	// ClientPasswordTTY gives ClientPasswordCmd the password at its
	// terminal's prompt instead of through SSH_ASKPASS: the client runs
	// with a pty as its controlling terminal, as a client that reads
	// passwords only from a terminal (the original's term.ReadPassword)
	// needs.
	ClientPasswordTTY bool
	// ClientHomeFromUserDB says that the client finds its home directory
	// in the user database, not in $HOME (the original does): the
	// known_hosts the suite writes under its temporary $HOME never reaches
	// it, so the rows that pin a certificate there are n/a.
	ClientHomeFromUserDB bool
	// ClientUDPCmd runs a UDP forward and no command (X-ROB-30): the
	// placeholders of ClientPasswordCmd plus {key}, {lport} (the local UDP
	// port the suite sends to), {thost} and {tport} (the forward's target).
	ClientUDPCmd string
	// ClientProfiles are the profiles to run the client in (default: the
	// target profile, or ssh3-alpha for auto).
	ClientProfiles []*frame.Profile
	// ClientSkip, if set, is why client-under-test mode cannot run (its
	// checks are reported as skipped with this reason).
	ClientSkip string
	// Parallel is how many harmless checks run at once (default 3).
	Parallel int
	// Slow enables checks that wait out the target's idle timeout.
	Slow bool
	// Progress, if set, is told the ID of each check as it starts.
	Progress func(profile, id string)
}

// Suite runs checks against a target.
type Suite struct {
	cfg    Config
	addr   string // host:port
	host   string
	path   string
	tls    *tls.Config
	signer ssh.Signer
	reqs   map[string]Requirement
	sw     frame.Software
	local  bool // the target is on loopback (the suite's echo targets are reachable)
	echo   echoTargets
	// private is the watch on the server's private requests (P-N1-3).
	private privateLog

	certOnce sync.Once // the client-under-test server's certificate
	cert     tls.Certificate
	certErr  error
	mainMu   sync.Mutex // guards mainRuns
	mainRuns map[string]*clientRun
	verMu    sync.Mutex // guards verHdr and verSeen
	verHdr   string     // the ssh3-alpha server's version header of a 2xx
	verSeen  bool
}

// noteServerVersion keeps the version header of a ssh3-alpha 2xx.
func (s *Suite) noteServerVersion(h string) {
	s.verMu.Lock()
	s.verHdr, s.verSeen = h, true
	s.verMu.Unlock()
}

// serverVersion is the last version header noted, if any.
func (s *Suite) serverVersion() (string, bool) {
	s.verMu.Lock()
	defer s.verMu.Unlock()
	return s.verHdr, s.verSeen
}

// Close releases what the suite started (its echo targets).
func (s *Suite) Close() { s.echo.close() }

// Software is how the suite names itself in version headers.
var Software = frame.Software{Name: "ssh3-conformance", Version: "0.1.0"}

// New checks cfg and builds a suite.
func New(cfg Config) (*Suite, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 3
	}
	s := &Suite{cfg: cfg, reqs: requirementMap(), sw: Software, signer: cfg.Signer, mainRuns: map[string]*clientRun{}}
	if cfg.Target.URL == "" {
		return s, nil
	}
	u, err := url.Parse(cfg.Target.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("conformance: target %q is not https://host:port/path", cfg.Target.URL)
	}
	s.host = u.Hostname()
	port := u.Port()
	if port == "" {
		port = "443"
	}
	s.addr = net.JoinHostPort(s.host, port)
	s.path = u.EscapedPath()
	if s.path == "" {
		s.path = "/ssh3-term"
	}
	if cfg.Target.User == "" {
		return nil, errors.New("conformance: no user")
	}
	s.tls = &tls.Config{ServerName: s.host, InsecureSkipVerify: cfg.Target.Insecure}
	if cfg.Target.CAFile != "" {
		pem, err := os.ReadFile(cfg.Target.CAFile)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("conformance: %s holds no PEM certificate", cfg.Target.CAFile)
		}
		s.tls.RootCAs = pool
	}
	if s.signer == nil && cfg.Target.KeyFile != "" {
		s.signer, err = loadKey(cfg.Target.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
	}
	if s.signer == nil && cfg.Target.Password == "" {
		return nil, errors.New("conformance: need a key (-i) or a password (-password-file)")
	}
	if ip := net.ParseIP(s.host); ip != nil && ip.IsLoopback() || s.host == "localhost" {
		s.local = true
	}
	return s, nil
}

// def is one check: the requirement it covers, its name (cited in
// REQUIREMENTS.md), and how it runs. A def with no run is reported with
// result and reason as given (n/a for rows marked "none", skip for rows
// this harness cannot exercise).
type def struct {
	ID      string
	Name    string
	Harmful bool          // could hurt the target: a liveness probe follows
	Last    bool          // judges what the other checks saw: runs after all of them
	Timeout time.Duration // overrides the per-check timeout when longer
	// SlowOnly, when set, is why the check runs only with -slow; without
	// it the check is skipped with this reason.
	SlowOnly string
	// SilenceOK is set on checks whose evidence is that the target does
	// not answer a request in time; any other check that saw a request go
	// unanswered cannot pass (T.silent).
	SilenceOK bool
	run       func(t *T)
	result    Result // for defs without run
	reason    string
}

// serverDefs are the server-under-test checks, in report order.
func serverDefs() []def {
	var all []def
	for _, area := range [][]def{setupChecks(), versionChecks(), authChecks(), channelChecks(), datagramChecks(), lifecycleChecks(), projectChecks()} {
		all = append(all, area...)
	}
	return all
}

// AllChecks lists every check the suite has, server and client side, as
// (ID, name) pairs; tests use it to tie REQUIREMENTS.md to the code.
func AllChecks() map[string][]string {
	m := map[string][]string{}
	for _, d := range append(serverDefs(), clientDefs()...) {
		m[d.ID] = append(m[d.ID], d.Name)
	}
	return m
}

// Profiles decides the profiles to run against the target: the one asked
// for, or for auto every profile whose CONNECT is not answered 501/reset.
func (s *Suite) Profiles(ctx context.Context) []*frame.Profile {
	if p, err := frame.ProfileByName(s.cfg.Target.Profile); err == nil {
		return []*frame.Profile{p}
	}
	var out []*frame.Profile
	for _, p := range frame.Profiles() {
		t := s.newT(ctx, p, &Check{})
		cv, err := t.connect()
		t.cleanup()
		if err == nil && cv.Resp.Status/100 == 2 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return frame.Profiles()
	}
	return out
}

// RunServer runs the server-under-test checks in profile p.
func (s *Suite) RunServer(ctx context.Context, p *frame.Profile) *Report {
	r := &Report{Target: s.cfg.Target.URL, Profile: p.Name(), Mode: "server-under-test"}
	var defs []def
	for _, d := range serverDefs() {
		if s.cfg.Run == nil || s.cfg.Run.MatchString(d.ID) {
			defs = append(defs, d)
		}
	}
	r.Checks = s.runAll(ctx, p, defs, "server-under-test")
	sortByRequirement(r.Checks)
	return r
}

// sortByRequirement orders checks as their rows in REQUIREMENTS.md, so that
// the report groups by section.
func sortByRequirement(cs []Check) {
	order := map[string]int{}
	for i, r := range Requirements() {
		order[r.ID] = i
	}
	sort.SliceStable(cs, func(i, j int) bool { return order[cs[i].ID] < order[cs[j].ID] })
}

// runAll runs defs and returns their checks in defs' order. Checks that
// cannot hurt the target run Parallel at a time; those that can run one by
// one afterwards, each followed by its liveness probe, so that a dead
// target is blamed on the right check. Checks marked Last run at the end.
func (s *Suite) runAll(ctx context.Context, p *frame.Profile, defs []def, mode string) []Check {
	out := make([]Check, len(defs))
	par := max(s.cfg.Parallel, 1)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, d := range defs {
		if d.Harmful || d.Last {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = s.runDef(ctx, p, d, mode)
		}()
	}
	wg.Wait()
	deadAfter := "" // the check after which the target was found dead
	for _, last := range []bool{false, true} {
		for i, d := range defs {
			if !(d.Harmful && !d.Last && !last || d.Last && last) {
				continue
			}
			if deadAfter != "" && mode == "server-under-test" {
				if err := s.probe(ctx, p); err != nil {
					out[i] = s.notRunDead(p, d, deadAfter, err)
					continue
				}
				deadAfter = "" // restarted
			}
			out[i] = s.runDef(ctx, p, d, mode)
			if out[i].Liveness == "dead" {
				deadAfter = d.ID
			}
		}
	}
	return out
}

// notRunDead is the row of a check not run because the target has stayed
// dead since the check deadAfter: its failure would be the earlier
// check's, not its own.
func (s *Suite) notRunDead(p *frame.Profile, d def, deadAfter string, err error) Check {
	req := s.reqs[d.ID]
	return Check{ID: d.ID, Level: req.Level, Profile: p.Name(), Name: d.Name,
		Group: fmt.Sprintf("server-under-test · %s · %s", p.Name(), s.cfg.Target.URL), Layer: req.Section,
		Result: Skip, Detail: fmt.Sprintf("skip: not run: the target has been dead since %s (liveness probe: %s); restart it and run this row again with -run", deadAfter, Describe(err))}
}

func (s *Suite) runDef(ctx context.Context, p *frame.Profile, d def, mode string) Check {
	req := s.reqs[d.ID]
	c := Check{ID: d.ID, Level: req.Level, Profile: p.Name(), Name: d.Name,
		Group: fmt.Sprintf("%s · %s · %s", mode, p.Name(), s.cfg.Target.URL), Layer: req.Section}
	if s.cfg.Progress != nil {
		s.cfg.Progress(p.Name(), d.ID)
	}
	if !req.appliesTo(p.Name()) {
		c.Result, c.Detail = NA, "n/a: the row is "+req.Profiles+" only"
		return c
	}
	if d.run == nil {
		c.Result, c.Detail = d.result, d.reason
		return c
	}
	if d.SlowOnly != "" && !s.cfg.Slow {
		c.Result, c.Detail = Skip, "skip: "+d.SlowOnly
		return c
	}
	start := time.Now()
	if d.Timeout > s.cfg.Timeout && mode == "server-under-test" {
		// A check allowed longer than -timeout for its own waits starts only
		// once the target has answered a valid CONNECT within -timeout: a
		// silent or broken target costs -timeout here, not the allowance.
		if err := s.withConv(ctx, p, func(*Conv) error { return nil }); err != nil {
			c.Result, c.Expected, c.Observed = Fail, "a valid CONNECT gets 2xx", "setup failed within "+s.cfg.Timeout.String()+": "+Describe(err)
			c.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
			return c
		}
	}
	s.runWithTimeout(ctx, p, d, &c)
	c.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	// Every result of a harmful check is probed: a skip or an n/a may come
	// after the check sent what could hurt the target (P-N1-3 skips when
	// the target sent nothing to judge; a projectRule row is n/a after
	// running).
	if d.Harmful && mode == "server-under-test" {
		if err := s.probe(ctx, p); err != nil {
			c.Liveness = "dead"
			c.Result = Fail
			c.Observed += "; liveness probe after the check failed: " + Describe(err)
		} else {
			c.Liveness = "alive"
		}
	}
	return c
}

// runWithTimeout runs d with the per-check timeout; a check that does not
// return within it (plus a grace period for its cleanup) fails as timed out.
func (s *Suite) runWithTimeout(ctx context.Context, p *frame.Profile, d def, c *Check) {
	limit := max(s.cfg.Timeout, d.Timeout)
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t := s.newT(cctx, p, c)
	t.silenceOK = d.SilenceOK
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				t.fail("no panic in the suite", fmt.Sprint("suite panic: ", r))
			}
		}()
		d.run(t)
	}()
	select {
	case <-done:
	case <-time.After(limit + 3*time.Second):
		t.mu.Lock()
		// The check's goroutine runs on until its own waits end; what it
		// reports then is dropped.
		t.reported = true
		c.Result, c.Observed = Fail, "check timed out after "+limit.String()+" (peer silent)"
		t.mu.Unlock()
	}
	t.cleanup()
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.Result == "" {
		c.Result, c.Detail = Fail, "the check reported nothing (suite bug)"
	}
}

// probe is the liveness probe: a fresh connection and conversation running
// `true`, which must exit 0.
func (s *Suite) probe(ctx context.Context, p *frame.Profile) error {
	return s.withConv(ctx, p, func(cv *Conv) error {
		res := cv.Exec("true", nil)
		if res.Err != nil {
			return res.Err
		}
		if res.Status == nil || *res.Status != 0 {
			return fmt.Errorf("`true` did not exit 0: %s", res.Summary())
		}
		return nil
	})
}

// withConv runs f on a fresh connection and conversation, all of it
// within the per-check timeout.
func (s *Suite) withConv(ctx context.Context, p *frame.Profile, f func(*Conv) error) error {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	t := s.newT(pctx, p, &Check{})
	defer t.cleanup()
	cv, err := t.connectOK()
	if err != nil {
		return err
	}
	return f(cv)
}

// IDsWithChecks is the set of IDs the suite reports, sorted.
func IDsWithChecks() []string {
	var ids []string
	for id := range AllChecks() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func joinObs(parts []string) string { return strings.Join(parts, "; ") }

// IndexEntry describes one check for documentation: the requirement, the
// check's name, the file it lives in, the mode, and for entries without a
// check, the result and reason they are reported with.
type IndexEntry struct {
	ID, Name, File, Mode string
	Result               Result
	Reason               string
}

// Index lists every check of the suite, server side first.
func Index() []IndexEntry {
	var out []IndexEntry
	areas := []struct {
		file string
		defs []def
	}{{"setup.go", setupChecks()}, {"version.go", versionChecks()}, {"auth.go", authChecks()}, {"channels.go", channelChecks()},
		{"datagrams.go", datagramChecks()}, {"lifecycle.go", lifecycleChecks()}, {"project.go", projectChecks()}, {"clientmode.go", clientDefs()}}
	for _, a := range areas {
		mode := "server-under-test"
		if a.file == "clientmode.go" {
			mode = "client-under-test"
		}
		for _, d := range a.defs {
			out = append(out, IndexEntry{ID: d.ID, Name: d.Name, File: a.file, Mode: mode, Result: d.result, Reason: d.reason})
		}
	}
	return out
}
