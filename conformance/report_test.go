package conformance_test

import (
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/conformance"
)

func TestWriteText(t *testing.T) {
	r := &conformance.Report{Checks: []conformance.Check{
		{ID: "a", Group: "f1", Layer: "message", Result: conformance.Pass, Detail: "ok"},
		{ID: "b", Group: "f1", Layer: "http", Result: conformance.NA},
		{ID: "c", Group: "f1", Layer: "message", Result: conformance.Fail, Detail: "differs", Expected: "00", Observed: "01"},
		{ID: "d", Group: "f2", Layer: "message", Result: conformance.Pass},
	}}
	var b strings.Builder
	if err := r.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	want := `f1
  message
    ✓ a: ok
    ✗ c: differs
        expected: 00
        observed: 01
  http
    – b
f2
  message
    ✓ d

2 passed, 1 failed, 1 n/a
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if !r.Failed() {
		t.Error("Failed() = false with a failed check")
	}

	b.Reset()
	if err := r.WriteText(&b, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[31m✗\x1b[0m c") || !strings.Contains(b.String(), "\x1b[31m2 passed, 1 failed, 1 n/a\x1b[0m") {
		t.Errorf("colour output:\n%q", b.String())
	}
}

func TestFailures(t *testing.T) {
	r := &conformance.Report{Checks: []conformance.Check{
		{ID: "a", Level: "MUST", Result: conformance.Fail},
		{ID: "b", Level: "robustness", Result: conformance.Fail},
		{ID: "c", Level: "SHOULD", Result: conformance.Fail},
		{ID: "d", Level: "robustness", Result: conformance.Pass},
		{ID: "v", Result: conformance.Fail}, // a vector: no level
	}}
	ids := func(cs []conformance.Check) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.ID)
		}
		return strings.Join(s, ",")
	}
	if got := ids(r.MustFailures()); got != "a,v" {
		t.Errorf("MustFailures = %s, want a,v", got)
	}
	if got := ids(r.Failures("MUST", "robustness")); got != "a,b,v" {
		t.Errorf("strict failures = %s, want a,b,v", got)
	}
}
