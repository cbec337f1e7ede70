package main

import (
	"encoding/xml"
	"fmt"
	"os"

	"github.com/ssh3-project/ssh3/conformance"
)

// JUnit XML, the subset CI systems read.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one testsuite per report and one testcase per check;
// a failed check of any level is a failure (its level is in the name),
// skip and n/a are skipped.
func writeJUnit(path string, reports []*conformance.Report) error {
	var out junitSuites
	for _, r := range reports {
		s := junitSuite{Name: title(r)}
		for _, c := range r.Checks {
			name := c.ID
			if c.Level != "" {
				name += " [" + c.Level + "]"
			}
			if c.Name != "" && c.Name != "-" {
				name += " " + c.Name
			}
			jc := junitCase{Name: name, ClassName: c.Group, Time: c.Seconds,
				SystemOut: fmt.Sprintf("expected: %s\nobserved: %s\n%s", c.Expected, c.Observed, c.Detail)}
			switch c.Result {
			case conformance.Fail:
				s.Failures++
				jc.Failure = &junitMessage{Message: "observed: " + c.Observed, Text: "expected: " + c.Expected + "\nobserved: " + c.Observed}
			case conformance.Skip, conformance.NA:
				s.Skipped++
				jc.Skipped = &junitMessage{Message: c.Detail}
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		out.Suites = append(out.Suites, s)
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
