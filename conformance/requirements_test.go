package conformance

import (
	"strings"
	"testing"
)

// TestEveryRequirementHasACheck ties spec/REQUIREMENTS.md to the suite:
// every ID has at least one check (or an explicit n/a or skip entry),
// every check names a real ID, and the row names the check.
func TestEveryRequirementHasACheck(t *testing.T) {
	reqs := Requirements()
	if len(reqs) != 127 {
		t.Errorf("parsed %d requirement rows, REQUIREMENTS.md counts 127", len(reqs))
	}
	levels := map[string]int{}
	for _, r := range reqs {
		levels[r.Level]++
	}
	for level, want := range map[string]int{"MUST": 14, "SHOULD": 4, "MAY": 3, "desc": 23, "robustness": 40, "project": 43} {
		if levels[level] != want {
			t.Errorf("%d %s rows, want %d", levels[level], level, want)
		}
	}
	checks := AllChecks()
	byID := map[string]Requirement{}
	for _, r := range reqs {
		byID[r.ID] = r
		names, ok := checks[r.ID]
		if !ok {
			t.Errorf("%s has no check and no explicit n/a or skip entry", r.ID)
			continue
		}
		for _, n := range names {
			if n == "-" {
				if !strings.Contains(r.CoveredBy, "n/a") && !strings.Contains(r.CoveredBy, "skip") {
					t.Errorf("%s: the suite reports it n/a or skipped, REQUIREMENTS.md says %q", r.ID, r.CoveredBy)
				}
				continue
			}
			if !strings.Contains(r.CoveredBy, n) {
				t.Errorf("%s: REQUIREMENTS.md does not name check %s: %q", r.ID, n, r.CoveredBy)
			}
		}
		if strings.Contains(r.CoveredBy, "conformance: check "+r.ID+" (planned)") {
			t.Errorf("%s still says planned", r.ID)
		}
	}
	for id := range checks {
		if _, ok := byID[id]; !ok {
			t.Errorf("check for unknown ID %s", id)
		}
	}
}

// TestChecksDoNotRepeat: a check ID appears once per mode.
func TestChecksDoNotRepeat(t *testing.T) {
	for name, defs := range map[string][]def{"server": serverDefs(), "client": clientDefs()} {
		seen := map[string]bool{}
		for _, d := range defs {
			if seen[d.ID] {
				t.Errorf("%s mode: %s twice", name, d.ID)
			}
			seen[d.ID] = true
			if d.run == nil && d.reason == "" {
				t.Errorf("%s mode: %s has neither a check nor a reason", name, d.ID)
			}
		}
	}
}
