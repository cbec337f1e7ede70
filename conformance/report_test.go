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
