package conformance

import (
	"fmt"
	"io"
	"strings"
)

// Result is the outcome of one check.
type Result string

// The outcomes. NA marks a check this suite cannot run, such as a vector of
// a layer the frame package does not cover.
const (
	Pass Result = "pass"
	Fail Result = "fail"
	NA   Result = "n/a"
)

// Check is the outcome of one check: an offline vector replay or, later, a
// probe of a live server. Expected and Observed are human-readable; Detail
// says what was done or why it failed.
type Check struct {
	ID       string `json:"id"`
	Group    string `json:"group"`           // e.g. the vectors file
	Layer    string `json:"layer,omitempty"` // e.g. "channel-header"
	Result   Result `json:"result"`
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Report is the outcome of a run, in the order the checks ran.
type Report struct {
	Checks []Check `json:"checks"`
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

// Summary is the one-line tally: "N passed, N failed, N n/a".
func (r *Report) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d n/a", r.Count(Pass), r.Count(Fail), r.Count(NA))
}

// marks are the per-check symbols of WriteText and their ANSI colours.
var marks = map[Result]struct{ sym, colour string }{
	Pass: {"✓", "\x1b[32m"},
	Fail: {"✗", "\x1b[31m"},
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
