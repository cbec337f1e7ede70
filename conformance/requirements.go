package conformance

import (
	"regexp"
	"strings"

	"github.com/ssh3-project/ssh3/spec"
)

// Requirement is one row of spec/REQUIREMENTS.md.
type Requirement struct {
	ID        string
	Summary   string
	Level     string // MUST, SHOULD, MAY, desc, robustness, project
	Profiles  string // both, ssh3-alpha, rth3-00
	Tested    string // server-under-test, client-under-test, both, none
	CoveredBy string
	Section   string // the heading the row sits under
}

var idRE = regexp.MustCompile(`^(R|H|X-ROB|P)-[A-Za-z0-9.-]+$`)

// ParseRequirements reads the requirement rows of a REQUIREMENTS.md text,
// in file order.
func ParseRequirements(text string) []Requirement {
	var out []Requirement
	section := ""
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) < 7 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !idRE.MatchString(cells[0]) {
			continue
		}
		out = append(out, Requirement{ID: cells[0], Summary: cells[1], Level: cells[2], Profiles: cells[3],
			Tested: cells[4], CoveredBy: cells[len(cells)-1], Section: section})
	}
	return out
}

// Requirements are the rows of this project's spec/REQUIREMENTS.md.
func Requirements() []Requirement { return ParseRequirements(spec.Requirements) }

func requirementMap() map[string]Requirement {
	m := map[string]Requirement{}
	for _, r := range Requirements() {
		m[r.ID] = r
	}
	return m
}

// appliesTo reports whether a row's Profile(s) cell covers profile name.
func (r Requirement) appliesTo(profile string) bool {
	return r.Profiles == "both" || r.Profiles == profile || r.Profiles == ""
}
