package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// microResult is one Go benchmark's line.
type microResult struct {
	Pkg      string
	Name     string
	Iters    int64
	NsOp     float64
	BOp      float64
	AllocsOp float64
	MBs      float64 // 0 if the benchmark sets no bytes
}

// parseBenchOutput reads `go test -bench -benchmem` output.
func parseBenchOutput(r io.Reader) []microResult {
	var out []microResult
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "pkg:" {
			pkg = f[1]
			continue
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		iters, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		m := microResult{Pkg: pkg, Name: f[0], Iters: iters}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				m.NsOp = v
			case "B/op":
				m.BOp = v
			case "allocs/op":
				m.AllocsOp = v
			case "MB/s":
				m.MBs = v
			}
		}
		out = append(out, m)
	}
	return out
}

// RunMicro runs the wire and frame benchmarks in the module at dir and
// writes a summary table.
func RunMicro(ctx context.Context, dir string, w, log io.Writer) error {
	return runMicro(ctx, dir, "1s", w, log)
}

func runMicro(ctx context.Context, dir, benchtime string, w, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "test", "-run=NONE", "-bench=.", "-benchmem", "-benchtime="+benchtime, "./wire", "./frame")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bench: go test -bench: %w: %s", err, out.String())
	}
	res := parseBenchOutput(&out)
	if len(res) == 0 {
		return fmt.Errorf("bench: no benchmark results in: %s", out.String())
	}
	fmt.Fprintln(w, "### Microbenchmarks (go test -bench . -benchmem ./wire ./frame)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| package | benchmark | ns/op | MB/s | B/op | allocs/op |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, m := range res {
		mbs := "–"
		if m.MBs > 0 {
			mbs = fmt.Sprintf("%.1f", m.MBs)
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %s | %.0f | %.0f |\n", m.Pkg, m.Name, m.NsOp, mbs, m.BOp, m.AllocsOp)
	}
	fmt.Fprintln(w)
	return nil
}
