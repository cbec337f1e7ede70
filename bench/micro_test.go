package bench

import (
	"strings"
	"testing"
)

func TestParseBenchOutput(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/ssh3-project/ssh3/wire
cpu: Some CPU
BenchmarkAppendVarint-2   	123456789	         9.50 ns/op	       0 B/op	       0 allocs/op
BenchmarkParse/small-2    	 1000	      1234 ns/op	 250.00 MB/s	      64 B/op	       2 allocs/op
PASS
ok  	github.com/ssh3-project/ssh3/wire	2.1s
pkg: github.com/ssh3-project/ssh3/frame
BenchmarkHeader-2 	 5	 100 ns/op
`
	got := parseBenchOutput(strings.NewReader(out))
	if len(got) != 3 {
		t.Fatalf("parsed %d results, want 3: %+v", len(got), got)
	}
	if g := got[1]; g.Pkg != "github.com/ssh3-project/ssh3/wire" || g.Name != "BenchmarkParse/small-2" || g.Iters != 1000 ||
		g.NsOp != 1234 || g.MBs != 250 || g.BOp != 64 || g.AllocsOp != 2 {
		t.Errorf("result 1 = %+v", g)
	}
	if got[2].Pkg != "github.com/ssh3-project/ssh3/frame" || got[2].NsOp != 100 {
		t.Errorf("result 2 = %+v", got[2])
	}
}
