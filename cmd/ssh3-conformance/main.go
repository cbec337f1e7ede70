// Command ssh3-conformance runs the SSH3 conformance suite and prints an
// h2spec-like report. With no arguments it replays the interop vectors
// embedded from spec/vectors through the frame package.
//
// Usage:
//
//	ssh3-conformance [-run REGEX] [-json FILE]
//
// It exits 0 when no check failed, 1 when one did, and 2 on a usage error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	"golang.org/x/term"

	"github.com/ssh3-project/ssh3/conformance"
	"github.com/ssh3-project/ssh3/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ssh3-conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonPath := fs.String("json", "", "also write the report as JSON to `FILE`")
	runRE := fs.String("run", "", "run only the checks whose ID matches `REGEX`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ssh3-conformance: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	sel, err := regexp.Compile(*runRE)
	if err != nil {
		fmt.Fprintf(stderr, "ssh3-conformance: -run: %v\n", err)
		return 2
	}
	files, err := spec.VectorFiles()
	if err != nil {
		fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
		return 1
	}
	for i := range files {
		files[i].Vectors = selectVectors(files[i].Vectors, sel)
	}
	report := conformance.ReplayVectors(files)
	if len(report.Checks) == 0 {
		fmt.Fprintf(stderr, "ssh3-conformance: no check matches -run %q\n", *runRE)
		return 1
	}
	if err := report.WriteText(stdout, colour(stdout)); err != nil {
		fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
		return 1
	}
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, report); err != nil {
			fmt.Fprintf(stderr, "ssh3-conformance: %v\n", err)
			return 1
		}
	}
	if report.Failed() {
		return 1
	}
	return 0
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

func writeJSON(path string, r *conformance.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
