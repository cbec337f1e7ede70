package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/conformance"
	"github.com/ssh3-project/ssh3/spec"
)

var summaryRE = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed, (\d+) n/a(, \d+ skipped)?$`)

// runCmd calls run and returns its exit code, stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestVectorReplay(t *testing.T) {
	code, out, errOut := runCmd(t, "-vectors")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in:\n%s", out)
	}
	if m[1] == "0" || m[2] != "0" {
		t.Errorf("summary %q: want some passed and none failed", m[0])
	}
	if !strings.HasSuffix(out, m[0]+"\n") {
		t.Errorf("the summary is not the last line:\n%s", out)
	}
	for _, want := range []string{"ssh3-alpha-v0.1.7.json\n", "  channel-header\n", "✓ channel-header-session", "– file-known-hosts-line"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colours written to a non-terminal")
	}
}

func TestRunAndJSON(t *testing.T) {
	files, err := spec.VectorFiles()
	if err != nil {
		t.Fatal(err)
	}
	headers := 0
	for _, f := range files {
		for _, v := range f.Vectors {
			if strings.HasPrefix(v.ID, "channel-header-") {
				headers++
			}
		}
	}
	if headers == 0 {
		t.Fatal("no channel-header-* vector to select")
	}

	path := filepath.Join(t.TempDir(), "report.json")
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, errOut := runCmd(t, "-vectors", "-run", "^channel-header-", "-json", path, "-junit", junit)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := fmt.Sprintf("%d passed, 0 failed, 0 n/a", headers)
	if m := summaryRE.FindStringSubmatch(out); m == nil || m[0] != want {
		t.Errorf("summary %q, want %q", m, want)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r conformance.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != headers {
		t.Fatalf("JSON has %d checks, want %d", len(r.Checks), headers)
	}
	for _, c := range r.Checks {
		if !strings.HasPrefix(c.ID, "channel-header-") || c.Result != conformance.Pass || c.Group == "" || c.Expected == "" || c.Observed == "" {
			t.Errorf("JSON check %+v", c)
		}
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var js junitSuites
	if err := xml.Unmarshal(x, &js); err != nil || len(js.Suites) != 1 || js.Suites[0].Tests != headers {
		t.Errorf("JUnit: %v %+v", err, js)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-run", "("}, {"extra"}, {"-profile", "ssh4"}, {"-target", "https://h/p"}, {"-target", "https://h/p", "-user", "u"},
		{"-client-password-cmd", "c {user}"}, {"-client-udp-cmd", "c {lport}"}} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "-vectors", "-run", "^no-such-vector$"); code != 1 || !strings.Contains(errOut, "no check matches") {
		t.Errorf("-run matching nothing: exit %d, stderr %q", code, errOut)
	}
}

// TestEmbeddedDefault is the CI run: the whole suite against this
// project's server in-process, both profiles, client-under-test mode
// against this project's client, and the vectors. Every MUST row and
// every robustness row must pass (or be skipped with a reason, or be n/a
// for the profile).
func TestEmbeddedDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite (minutes)")
	}
	if raceEnabled {
		t.Skip("quic-go's own 0-RTT code races under -race (race_test.go); make demo runs the suite without it")
	}
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut := runCmd(t, "-q", "-json", path)
	var runs []conformance.Report
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, stderr %q, no JSON: %v", code, errOut, err)
	}
	if err := json.Unmarshal(raw, &runs); err != nil {
		t.Fatal(err)
	}
	modes := map[string]bool{}
	for _, r := range runs {
		modes[r.Mode+" "+r.Profile] = true
		for _, c := range r.Checks {
			// The embedded default fills the password and UDP templates.
			if r.Mode == "client-under-test" && (c.ID == "R-3.1.1-1" || c.ID == "H-7617-1" || c.ID == "X-ROB-30") && c.Result != conformance.Pass {
				t.Errorf("client-under-test %s %s: %s %s; expected %s; observed %s", r.Profile, c.ID, c.Result, c.Detail, c.Expected, c.Observed)
			}
			if (c.Level == "MUST" || c.Level == "robustness") && c.Result == conformance.Fail {
				t.Errorf("%s %s %s %s: expected %s; observed %s", r.Mode, r.Profile, c.ID, c.Name, c.Expected, c.Observed)
			}
			if c.Result == conformance.Skip && c.Detail == "" {
				t.Errorf("%s %s: skipped without a reason", r.Profile, c.ID)
			}
		}
	}
	for _, want := range []string{"server-under-test ssh3-alpha", "server-under-test rth3-00", "client-under-test ssh3-alpha", "client-under-test rth3-00", "vectors "} {
		if !modes[want] {
			t.Errorf("no %q run (have %v)", want, modes)
		}
	}
	if code != 0 {
		t.Errorf("exit %d; stderr %q", code, errOut)
	}
	if t.Failed() {
		t.Logf("report:\n%s", out)
	}
}
