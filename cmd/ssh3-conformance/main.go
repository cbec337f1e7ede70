// Command ssh3-conformance runs the SSH3 conformance suite and prints an
// h2spec-like report, one check per requirement ID of spec/REQUIREMENTS.md.
//
// Usage:
//
//	ssh3-conformance [-target URL -user U (-i KEY | -password-file F)]
//	                 [-profile ssh3-alpha|rth3-00|auto] [-insecure | -ca FILE]
//	                 [-client-cmd TEMPLATE [-client-password-cmd TEMPLATE
//	                 [-client-password-tty]] [-client-udp-cmd TEMPLATE]
//	                 [-client-home-from-userdb]] [-run REGEX] [-timeout D]
//	                 [-json FILE] [-junit FILE] [-vectors] [-slow]
//
// With -target the suite is the client of that server (server-under-test).
// With -client-cmd it also listens on loopback as a server and runs the
// client under test from the template, whose placeholders are {key},
// {user}, {hostport}, {path}, {cmd} and {profile}; -client-password-cmd
// (a password login, the password given through SSH_ASKPASS) and
// -client-udp-cmd (a UDP forward, with {lport}, {thost} and {tport} as
// well) drive the scenarios -client-cmd cannot. -client-password-tty types
// the password at the client's terminal prompt instead (the client runs in
// a pty), for a client that reads passwords only from a terminal such as
// the original; -client-home-from-userdb says that the client ignores
// $HOME (the original reads its home from the user database), which makes
// the known_hosts pinning rows n/a. With -vectors it only
// replays the interop vectors of spec/vectors.
//
// With no -target it starts this project's server in-process on loopback
// (throwaway certificate, key and identity file for the current user, and
// a throwaway password it checks in-process instead of PAM) and
// runs the suite against it in both profiles, then client-under-test mode
// against this project's client (built with `go build` when the source is
// at hand), then the vector replay.
//
// It exits 0 when every MUST row (and every vector) passed, 1 when one
// did not, and 2 on a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ssh3-project/ssh3/conformance"
	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type flags struct {
	target, user, key, passwordFile, profile, ca, clientCmd string
	clientPasswordCmd, clientUDPCmd                         string
	runRE, jsonPath, junitPath                              string
	fixtureKeys, oidcIssuer                                 string
	insecure, vectorsOnly, slow, quiet, strict              bool
	clientPasswordTTY, clientHomeFromUserDB                 bool
	timeout                                                 time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*flags, int) {
	f := &flags{}
	fs := flag.NewFlagSet("ssh3-conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.target, "target", "", "server under test, `https://host:port/path` (none: this project's server in-process)")
	fs.StringVar(&f.user, "user", "", "account on the target")
	fs.StringVar(&f.key, "i", "", "private key `FILE` of the user")
	fs.StringVar(&f.passwordFile, "password-file", "", "`FILE` holding the user's password")
	fs.StringVar(&f.profile, "profile", "auto", "wire profile: ssh3-alpha, rth3-00 or auto (every profile the target serves)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the target's certificate")
	fs.StringVar(&f.ca, "ca", "", "verify the target against the PEM roots in `FILE`")
	fs.StringVar(&f.fixtureKeys, "fixture-keys", "", "`DIR` of keys authorized on the target with one option each (P-AUTH-1, P-AUTH-4; see the README)")
	fs.StringVar(&f.oidcIssuer, "oidc-issuer", "", "run the suite's OpenID provider on `HOST:PORT` for P-AUTH-3 (it prints the authorized_identities line the target needs)")
	fs.StringVar(&f.clientCmd, "client-cmd", "", "client under test, a `TEMPLATE` with {key} {user} {hostport} {path} {cmd} {profile}")
	fs.StringVar(&f.clientPasswordCmd, "client-password-cmd", "", "client under test logging in with a password it reads from SSH_ASKPASS, a `TEMPLATE` with {user} {hostport} {path} {cmd} {profile} (R-3.1.1-1, H-7617-1)")
	fs.BoolVar(&f.clientPasswordTTY, "client-password-tty", false, "type the password at the -client-password-cmd client's terminal prompt (it runs in a pty) instead of giving it through SSH_ASKPASS, for a client that reads passwords only from a terminal")
	fs.BoolVar(&f.clientHomeFromUserDB, "client-home-from-userdb", false, "the client under test finds its home in the user database, not $HOME: the known_hosts pinning rows (X-ROB-39, P-AUTH-8) are n/a")
	fs.StringVar(&f.clientUDPCmd, "client-udp-cmd", "", "client under test forwarding UDP port {lport} to {thost}:{tport} and running no command, a `TEMPLATE` with {key} {user} {hostport} {path} {profile} {lport} {thost} {tport} (X-ROB-30)")
	fs.StringVar(&f.runRE, "run", "", "run only the checks whose ID matches `REGEX`")
	fs.StringVar(&f.jsonPath, "json", "", "also write the report as JSON to `FILE`")
	fs.StringVar(&f.junitPath, "junit", "", "also write the report as JUnit XML to `FILE`")
	fs.DurationVar(&f.timeout, "timeout", 20*time.Second, "time limit of each check")
	fs.BoolVar(&f.vectorsOnly, "vectors", false, "only replay the interop vectors of spec/vectors")
	fs.BoolVar(&f.slow, "slow", false, "also wait out the target's timeouts: its idle timeout (X-ROB-33) and the 10 s hold of unaccepted reverse and agent connections (P-G5-4, P-G6-2)")
	fs.BoolVar(&f.quiet, "q", false, "no progress lines on stderr")
	fs.BoolVar(&f.strict, "strict", false, "exit non-zero when a robustness row fails too, not only a MUST row")
	if err := fs.Parse(args); err != nil {
		return nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ssh3-conformance: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return nil, 2
	}
	if _, err := regexp.Compile(f.runRE); err != nil {
		fmt.Fprintf(stderr, "ssh3-conformance: -run: %v\n", err)
		return nil, 2
	}
	if f.profile != "auto" {
		if _, err := frame.ProfileByName(f.profile); err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: -profile %q: want ssh3-alpha, rth3-00 or auto\n", f.profile)
			return nil, 2
		}
	}
	if f.clientCmd == "" && (f.clientPasswordCmd != "" || f.clientUDPCmd != "") {
		fmt.Fprintln(stderr, "ssh3-conformance: -client-password-cmd and -client-udp-cmd need -client-cmd")
		return nil, 2
	}
	if f.target != "" && f.user == "" {
		fmt.Fprintln(stderr, "ssh3-conformance: -target needs -user")
		return nil, 2
	}
	if f.target != "" && f.key == "" && f.passwordFile == "" {
		fmt.Fprintln(stderr, "ssh3-conformance: -target needs -i KEYFILE or -password-file FILE")
		return nil, 2
	}
	return f, 0
}

// run is the whole command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	f, code := parseFlags(args, stderr)
	if f == nil {
		return code
	}
	sel := regexp.MustCompile(f.runRE)
	var reports []*conformance.Report
	if !f.vectorsOnly {
		rs, err := runLive(f, sel, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
			return 1
		}
		for _, r := range rs {
			if len(r.Checks) > 0 {
				reports = append(reports, r)
			}
		}
	}
	if f.vectorsOnly || f.target == "" {
		vr, err := replay(sel)
		if err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
			return 1
		}
		if len(vr.Checks) > 0 {
			reports = append(reports, vr)
		}
	}
	total := 0
	for _, r := range reports {
		total += len(r.Checks)
	}
	if total == 0 {
		fmt.Fprintf(stderr, "ssh3-conformance: no check matches -run %q\n", f.runRE)
		return 1
	}
	if err := writeText(stdout, reports); err != nil {
		fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
		return 1
	}
	if f.jsonPath != "" {
		if err := writeJSON(f.jsonPath, reports); err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
			return 1
		}
	}
	if f.junitPath != "" {
		if err := writeJUnit(f.junitPath, reports); err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
			return 1
		}
	}
	levels := []string{"MUST"}
	if f.strict {
		levels = append(levels, "robustness")
	}
	for _, r := range reports {
		if len(r.Failures(levels...)) > 0 {
			return 1
		}
	}
	return 0
}

// replay is the offline replay of the interop vectors.
func replay(sel *regexp.Regexp) (*conformance.Report, error) {
	files, err := spec.VectorFiles()
	if err != nil {
		return nil, err
	}
	for i := range files {
		files[i].Vectors = selectVectors(files[i].Vectors, sel)
	}
	r := conformance.ReplayVectors(files)
	r.Mode = "vectors"
	return r, nil
}

// runLive runs the server-under-test checks (and client-under-test mode
// with a client command) against -target or the embedded server.
func runLive(f *flags, sel *regexp.Regexp, stderr io.Writer) ([]*conformance.Report, error) {
	cfg := conformance.Config{
		Target: conformance.Target{URL: f.target, User: f.user, KeyFile: f.key, Profile: f.profile,
			Insecure: f.insecure, CAFile: f.ca},
		Timeout:              f.timeout,
		ClientCmd:            f.clientCmd,
		ClientPasswordCmd:    f.clientPasswordCmd,
		ClientUDPCmd:         f.clientUDPCmd,
		ClientPasswordTTY:    f.clientPasswordTTY,
		ClientHomeFromUserDB: f.clientHomeFromUserDB,
		Slow:                 f.slow,
	}
	if f.runRE != "" {
		cfg.Run = sel
	}
	if f.oidcIssuer != "" {
		iss, err := conformance.StartOIDCIssuer(f.oidcIssuer, f.user+"@ssh3-conformance.invalid")
		if err != nil {
			return nil, err
		}
		defer iss.Close()
		cfg.OIDC = iss
		fmt.Fprintf(stderr, "ssh3-conformance: OpenID provider at %s; the target trusts it for %s with the authorized_identities line:\n  %s\n", iss.URL, f.user, iss.IdentityLine())
	}
	if f.fixtureKeys != "" {
		keys, err := conformance.LoadFixtures(f.fixtureKeys)
		if err != nil {
			return nil, err
		}
		cfg.FixtureKeys = keys
	}
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return nil, err
		}
		cfg.Target.Password = strings.TrimRight(string(b), "\r\n")
	}
	if !f.quiet {
		cfg.Progress = progress(stderr)
	}
	if f.target == "" {
		e, err := startEmbedded()
		if err != nil {
			return nil, fmt.Errorf("embedded server: %w", err)
		}
		defer e.Close()
		cfg.Target.URL, cfg.Target.User, cfg.Target.KeyFile, cfg.Target.Insecure = e.URL, e.User, e.KeyFile, true
		// The embedded server knows only its own throwaway password.
		cfg.Signer, cfg.Target.Password = e.Signer, e.Password
		if cfg.FixtureKeys == nil {
			cfg.FixtureKeys = e.Fixtures
		}
		if cfg.OIDC == nil {
			cfg.OIDC = e.OIDC
		}
		if f.profile == "auto" {
			cfg.Target.Profile = "auto"
		}
		if cfg.ClientCmd == "" {
			bin, why, cleanup := ourClient()
			defer cleanup()
			if bin != "" {
				cfg.ClientCmd = bin + " -insecure -profile {profile} -i {key} {user}@{hostport}{path} {cmd}"
				cfg.ClientPasswordCmd, cfg.ClientUDPCmd = ourTemplates(bin)
			} else {
				cfg.ClientSkip = why
			}
			cfg.ClientProfiles = frame.Profiles()
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "ssh3-conformance: embedded server at %s (user %s)\n", e.URL, e.User)
		}
	}
	s, err := conformance.New(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx := context.Background()
	var out []*conformance.Report
	for _, p := range s.Profiles(ctx) {
		out = append(out, s.RunServer(ctx, p))
	}
	if cfg.ClientCmd != "" || cfg.ClientSkip != "" || f.target == "" {
		out = append(out, s.RunClient(ctx)...)
	}
	if !f.quiet {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	return out, nil
}

// progress prints the running check on one terminal line.
func progress(w io.Writer) func(profile, id string) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(profile, id string) { fmt.Fprintf(w, "\r\x1b[K%s %s", profile, id) }
}

func selectVectors(vs []spec.Vector, sel *regexp.Regexp) []spec.Vector {
	var out []spec.Vector
	for _, v := range vs {
		if sel.MatchString(v.ID) {
			out = append(out, v)
		}
	}
	return out
}

// colour reports whether w is a terminal that should get colours
// (https://no-color.org).
func colour(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
}

// writeText prints every report, then the tally of all of them; the last
// line is the overall summary.
func writeText(w io.Writer, reports []*conformance.Report) error {
	all := &conformance.Report{}
	for _, r := range reports {
		if len(reports) > 1 {
			fmt.Fprintf(w, "== %s\n", title(r))
		}
		if err := r.WriteText(w, colour(w)); err != nil {
			return err
		}
		if len(reports) > 1 {
			fmt.Fprintln(w)
		}
		all.Checks = append(all.Checks, r.Checks...)
	}
	if len(reports) > 1 {
		if fails := all.MustFailures(); len(fails) > 0 {
			var ids []string
			for _, c := range fails {
				ids = append(ids, c.ID+" ("+c.Profile+")")
			}
			fmt.Fprintf(w, "MUST failures: %s\n", strings.Join(ids, ", "))
		}
		_, err := fmt.Fprintf(w, "%s\n", all.Summary())
		return err
	}
	return nil
}

func title(r *conformance.Report) string {
	if r.Mode == "vectors" {
		return "vector replay (spec/vectors)"
	}
	return fmt.Sprintf("%s, %s, %s", r.Mode, r.Profile, r.Target)
}

// writeJSON writes one report as an object, several as an array of them.
func writeJSON(path string, reports []*conformance.Report) error {
	var v any = reports
	if len(reports) == 1 {
		v = reports[0]
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
