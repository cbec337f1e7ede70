package interop

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tally is one cell of the matrix: runs, passes, runs lost to a defect of
// the original shown by its own log, and the first failure of each kind.
type tally struct {
	runs, passes, peer int
	first, firstPeer   string
}

func (t tally) fails() int { return t.runs - t.passes - t.peer }

func (t tally) String() string {
	if t.runs == 0 {
		return "–"
	}
	s := fmt.Sprintf("%d/%d", t.passes, t.runs-t.peer)
	if t.peer > 0 {
		s += fmt.Sprintf(" (+%d lost by the original)", t.peer)
	}
	if t.fails() > 0 {
		s += " ✗"
	}
	return s
}

// runs is how many times each cell runs per direction.
func runs() int {
	if n, err := strconv.Atoi(os.Getenv("SSH3_INTEROP_RUNS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// TestMatrix runs every cell in both directions between ours and the
// original, and the original against itself beside them, SSH3_INTEROP_RUNS
// times each. Every run of ours must pass, except a run in which the
// original's server logged that it lost the command's output (its known
// defect, see outputLossMark): that run is the peer's, counted apart, not
// failed, and run again (up to 4 times the runs asked for). The table goes to the log and, when SSH3_INTEROP_TABLE names
// a file, there.
func TestMatrix(t *testing.T) {
	w := getWorld(t)
	ours, orig := w.servers["ours"], w.servers["original"]
	pairs := []pair{
		{client: w.ours, server: orig, target: ours},
		{client: w.orig, server: ours, target: orig},
		{client: w.orig, server: orig, target: orig}, // the peer against itself
	}
	n := runs()
	if filter := os.Getenv("SSH3_INTEROP_CELLS"); filter != "" {
		t.Logf("only the cells whose name holds %q", filter)
	}
	results := make([][]tally, len(cells))
	for i, c := range cells {
		results[i] = make([]tally, len(pairs))
		if f := os.Getenv("SSH3_INTEROP_CELLS"); f != "" && !strings.Contains(c.name, f) {
			continue
		}
		for j, p := range pairs {
			// A run the original lost is run again, up to 4n in all, so
			// that each cell has n runs that say something of ours.
			for k := 0; k < 4*n && results[i][j].runs-results[i][j].peer < n; k++ {
				lost := orig.losses()
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				err := c.run(ctx, w, p)
				cancel()
				tl := &results[i][j]
				tl.runs++
				switch {
				case err == nil:
					tl.passes++
				case orig.losses() > lost:
					tl.peer++
					if tl.firstPeer == "" {
						tl.firstPeer = err.Error()
					}
				case tl.first == "":
					tl.first = err.Error()
				}
			}
		}
	}
	for _, s := range w.servers {
		if !s.alive() {
			t.Errorf("the %s server died during the matrix; its log:\n%s", s.impl.name, tail(s.log.String(), 2000))
		}
	}
	table := matrixTable(pairs, results, n)
	t.Log("\n" + table)
	if path := os.Getenv("SSH3_INTEROP_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
	for i, c := range cells {
		for j, p := range pairs[:2] {
			if tl := results[i][j]; tl.fails() > 0 {
				t.Errorf("%s, %s: %s; first failure: %s", c.name, p, tl, tl.first)
			}
		}
	}
}

// matrixTable renders the results as a Markdown table, then each failing
// cell's first error.
func matrixTable(pairs []pair, results [][]tally, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Interop matrix, %d runs per cell (%s); passes/runs\n\n| cell |", n, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, p := range pairs {
		fmt.Fprintf(&b, " %s |", p)
	}
	b.WriteString("\n|---|")
	for range pairs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for i, c := range cells {
		fmt.Fprintf(&b, "| %s |", c.name)
		for j := range pairs {
			fmt.Fprintf(&b, " %s |", results[i][j])
		}
		b.WriteString("\n")
	}
	var notes []string
	for i, c := range cells {
		for j, p := range pairs {
			tl := results[i][j]
			if tl.first != "" {
				notes = append(notes, fmt.Sprintf("- %s, %s: %s", c.name, p, tail(tl.first, 400)))
			}
			if tl.firstPeer != "" {
				notes = append(notes, fmt.Sprintf("- %s, %s, lost by the original: %s", c.name, p, tail(tl.firstPeer, 400)))
			}
		}
	}
	b.WriteString("\n\"lost by the original\": runs, not counted and run again, in which the original's server logged that it lost the command's output\n" +
		"(`read |0: file already closed`: it calls exec.Cmd.Wait while still reading the command's pipes,\n" +
		"cmd/ssh3-server/main.go:313-314 of v0.1.7). Its client also ends stdout with \"\\r\" (client/client.go:586),\n" +
		"which the cells take off, and passes no stdin EOF on, so uploads end by count.\n")
	if len(notes) > 0 {
		b.WriteString("\nFirst failure of each failing cell:\n\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}
