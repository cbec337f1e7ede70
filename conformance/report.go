package conformance

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Result is the outcome of one check.
type Result string

// The outcomes. NA marks a check this suite cannot run, such as a vector of
// a layer the frame package does not cover.
const (
	Pass Result = "pass"
	Fail Result = "fail"
	Skip Result = "skip" // could not run here; Detail says why
	NA   Result = "n/a"
)

// Check is the outcome of one check: an offline vector replay or, later, a
// probe of a live server. Expected and Observed are human-readable; Detail
// says what was done or why it failed.
type Check struct {
	ID       string `json:"id"`
	Level    string `json:"level,omitempty"`   // MUST, SHOULD, MAY, desc, robustness, project (REQUIREMENTS.md)
	Profile  string `json:"profile,omitempty"` // the wire profile a live check ran in
	Name     string `json:"name,omitempty"`    // the check's name, as REQUIREMENTS.md cites it
	Group    string `json:"group"`             // e.g. the vectors file, or the run
	Layer    string `json:"layer,omitempty"`   // e.g. "channel-header", or the section
	Result   Result `json:"result"`
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed,omitempty"`
	Detail   string `json:"detail,omitempty"`
	// Liveness is the probe after a check that could hurt the target:
	// "alive", or "dead" when a fresh conversation could not run `true`
	// (the target crashed or is wedged, which the check then caused).
	Liveness string  `json:"liveness,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
}

// Report is the outcome of a run, in the order the checks ran.
type Report struct {
	Target  string  `json:"target,omitempty"`
	Profile string  `json:"profile,omitempty"`
	Mode    string  `json:"mode,omitempty"` // server-under-test, client-under-test
	Checks  []Check `json:"checks"`
}

// Count is the number of checks with result r.
func (r *Report) Count(res Result) int {
	n := 0
	for _, c := range r.Checks {
		if c.Result == res {
			n++
		}
	}
	return n
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return r.Count(Fail) > 0 }

// Summary is the one-line tally: "N passed, N failed, N n/a", plus
// ", N skipped" when checks were skipped.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d passed, %d failed, %d n/a", r.Count(Pass), r.Count(Fail), r.Count(NA))
	if n := r.Count(Skip); n > 0 {
		s += fmt.Sprintf(", %d skipped", n)
	}
	return s
}

// MustFailures are the failed checks that decide the exit status: every
// MUST row, and vector replays (which carry no level).
func (r *Report) MustFailures() []Check { return r.Failures("MUST") }

// Failures are the failed checks whose level is one of levels; a check
// without a level (a vector replay) counts as MUST.
func (r *Report) Failures(levels ...string) []Check {
	var out []Check
	for _, c := range r.Checks {
		lvl := c.Level
		if lvl == "" {
			lvl = "MUST"
		}
		if c.Result == Fail && slices.Contains(levels, lvl) {
			out = append(out, c)
		}
	}
	return out
}

// marks are the per-check symbols of WriteText and their ANSI colours.
var marks = map[Result]struct{ sym, colour string }{
	Pass: {"✓", "\x1b[32m"},
	Fail: {"✗", "\x1b[31m"},
	Skip: {"↷", "\x1b[33m"},
	NA:   {"–", "\x1b[2m"},
}

// WriteText writes r as an indented list grouped by Group and then by
// Layer, each in order of first appearance: one line per check with ✓, ✗ or
// –, the expected and observed values under each failure, and the summary
// last. colour adds ANSI colours (for a terminal).
func (r *Report) WriteText(w io.Writer, colour bool) error {
	paint := func(res Result, s string) string {
		if !colour {
			return s
		}
		return marks[res].colour + s + "\x1b[0m"
	}
	var b strings.Builder
	for _, group := range r.grouped() {
		fmt.Fprintf(&b, "%s\n", group[0][0].Group)
		for _, layer := range group {
			fmt.Fprintf(&b, "  %s\n", layer[0].Layer)
			for _, c := range layer {
				fmt.Fprintf(&b, "    %s %s", paint(c.Result, marks[c.Result].sym), c.ID)
				if c.Level != "" {
					fmt.Fprintf(&b, " [%s]", c.Level)
				}
				if c.Name != "" && c.Name != "-" {
					fmt.Fprintf(&b, " %s", c.Name)
				}
				if c.Liveness == "dead" {
					b.WriteString(" (TARGET DEAD AFTER THIS CHECK: crashed or wedged)")
				}
				if c.Detail != "" {
					fmt.Fprintf(&b, ": %s", c.Detail)
				}
				b.WriteString("\n")
				if c.Result == Fail {
					fmt.Fprintf(&b, "        expected: %s\n        observed: %s\n", c.Expected, c.Observed)
				}
			}
		}
	}
	res := Pass
	if r.Failed() {
		res = Fail
	}
	fmt.Fprintf(&b, "\n%s\n", paint(res, r.Summary()))
	_, err := io.WriteString(w, b.String())
	return err
}

// grouped splits the checks by Group and then by Layer, keeping the order
// of first appearance at both levels.
func (r *Report) grouped() [][][]Check {
	var out [][][]Check
	groups := map[string]int{}
	layers := map[[2]string]int{}
	for _, c := range r.Checks {
		gi, ok := groups[c.Group]
		if !ok {
			gi = len(out)
			groups[c.Group] = gi
			out = append(out, nil)
		}
		key := [2]string{c.Group, c.Layer}
		li, ok := layers[key]
		if !ok {
			li = len(out[gi])
			layers[key] = li
			out[gi] = append(out[gi], nil)
		}
		out[gi][li] = append(out[gi][li], c)
	}
	return out
}
