package wire_test

import (
	"bytes"
	"testing"

	"github.com/ssh3-project/ssh3/wire"
)

// benchValues covers every varint length, including the channel signal.
var benchValues = []uint64{37, 94, 30000, 0xaf3627e6}

var benchEncoded = func() []byte {
	var b []byte
	for _, v := range benchValues {
		b = wire.AppendVarint(b, v)
	}
	return b
}()

var sink uint64

func BenchmarkAppendVarint(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = buf[:0]
		for _, v := range benchValues {
			buf = wire.AppendVarint(buf, v)
		}
	}
}

func BenchmarkParseVarint(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		in := benchEncoded
		for len(in) > 0 {
			v, n, err := wire.ParseVarint(in)
			if err != nil {
				b.Fatal(err)
			}
			sink += v
			in = in[n:]
		}
	}
}

func BenchmarkReadVarint(b *testing.B) {
	b.ReportAllocs()
	r := bytes.NewReader(benchEncoded)
	for b.Loop() {
		r.Reset(benchEncoded)
		for range benchValues {
			v, err := wire.ReadVarint(r)
			if err != nil {
				b.Fatal(err)
			}
			sink += v
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = wire.AppendString(buf[:0], "session")
	}
}

func BenchmarkParseBytes(b *testing.B) {
	b.ReportAllocs()
	in := wire.AppendString(nil, "direct-tcp")
	for b.Loop() {
		p, _, err := wire.ParseBytes(in, 64)
		if err != nil {
			b.Fatal(err)
		}
		sink += uint64(len(p))
	}
}

// TestZeroAllocs holds the package to "Append and Parse never allocate".
// Allocation counts are deterministic, unlike timings, so they are asserted.
func TestZeroAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	str := wire.AppendString(nil, "session")
	rd := bytes.NewReader(benchEncoded)
	tests := map[string]func(){
		"AppendVarint": func() {
			buf = buf[:0]
			for _, v := range benchValues {
				buf = wire.AppendVarint(buf, v)
			}
		},
		"AppendVarintLen": func() { buf = wire.AppendVarintLen(buf[:0], 5, 8) },
		"ParseVarint": func() {
			for in := benchEncoded; len(in) > 0; {
				v, n, _ := wire.ParseVarint(in)
				sink += v
				in = in[n:]
			}
		},
		"ParseVarintTruncated": func() { _, _, _ = wire.ParseVarint(benchEncoded[len(benchEncoded)-3:]) },
		"ParseBytes": func() {
			p, _, _ := wire.ParseBytes(str, 64)
			sink += uint64(len(p))
		},
		"AppendString": func() { buf = wire.AppendString(buf[:0], "session") },
		"AppendBool":   func() { buf = wire.AppendBool(buf[:0], true) },
		"ParseBool": func() {
			v, _, _ := wire.ParseBool([]byte{1})
			if v {
				sink++
			}
		},
		"ReadVarint": func() {
			rd.Reset(benchEncoded)
			v, _ := wire.ReadVarint(rd)
			sink += v
		},
	}
	for name, f := range tests {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
