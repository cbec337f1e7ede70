package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/ssh3-project/ssh3/wire"
)

// varintValue draws any valid varint, with extra weight on the length
// boundaries and their neighbours.
func varintValue() *rapid.Generator[uint64] {
	edges := []uint64{0, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, wire.MaxVarint}
	near := rapid.Custom(func(t *rapid.T) uint64 {
		e := rapid.SampledFrom(edges).Draw(t, "edge")
		d := rapid.IntRange(-2, 2).Draw(t, "delta")
		v := int64(e) + int64(d)
		return uint64(min(max(v, 0), wire.MaxVarint))
	})
	return rapid.OneOf(rapid.Uint64Range(0, wire.MaxVarint), near)
}

// prefixBytes draws bytes to append after, so no test depends on starting
// at an empty buffer.
func prefixBytes(t *rapid.T) []byte {
	return rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "prefix")
}

func TestPropVarintRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := varintValue().Draw(t, "v")
		pre := prefixBytes(t)
		tail := rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "tail")
		enc := wire.AppendVarint(bytes.Clone(pre), v)
		if !bytes.Equal(enc[:len(pre)], pre) {
			t.Fatalf("prefix overwritten")
		}
		body := enc[len(pre):]
		if len(body) != wire.VarintLen(v) {
			t.Fatalf("encoded %d bytes, VarintLen = %d", len(body), wire.VarintLen(v))
		}
		in := append(bytes.Clone(body), tail...)
		got, n, minimal, err := wire.ParseVarintLen(in)
		if err != nil || got != v || n != len(body) || !minimal {
			t.Fatalf("ParseVarintLen(% x) = %d, %d, %v, %v; want %d, %d, true", in, got, n, minimal, err, v, len(body))
		}
		r := bytes.NewReader(in)
		if got, err := wire.ReadVarint(r); err != nil || got != v || r.Len() != len(tail) {
			t.Fatalf("ReadVarint = %d, %v, %d left", got, err, r.Len())
		}
	})
}

func TestPropVarintLenRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := varintValue().Draw(t, "v")
		var lens []int
		for _, n := range []int{1, 2, 4, 8} {
			if n >= wire.VarintLen(v) {
				lens = append(lens, n)
			}
		}
		n := rapid.SampledFrom(lens).Draw(t, "n")
		enc := wire.AppendVarintLen(nil, v, n)
		if len(enc) != n || int(1<<(enc[0]>>6)) != n {
			t.Fatalf("AppendVarintLen(%d, %d) = % x", v, n, enc)
		}
		got, m, minimal, err := wire.ParseVarintLen(enc)
		if err != nil || got != v || m != n || minimal != (n == wire.VarintLen(v)) {
			t.Fatalf("ParseVarintLen(% x) = %d, %d, %v, %v", enc, got, m, minimal, err)
		}
		if got, err := wire.ReadVarint(bytes.NewReader(enc)); err != nil || got != v {
			t.Fatalf("ReadVarint(% x) = %d, %v", enc, got, err)
		}
	})
}

// TestPropVarintReadEqualsParse runs both decoders over arbitrary bytes.
func TestPropVarintReadEqualsParse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "in")
		checkVarintReadMatchesParse(t, in)
	})
}

func TestPropStringRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.OneOf(
			rapid.SliceOfN(rapid.Byte(), 0, 80),
			rapid.SliceOfN(rapid.Byte(), 16370, 16400),
		).Draw(t, "p")
		limit := rapid.OneOf(
			rapid.Uint64Range(0, uint64(2*len(p)+1)),
			rapid.Just(uint64(len(p))),
			rapid.Uint64(),
		).Draw(t, "max")
		pre := prefixBytes(t)
		enc := wire.AppendBytes(bytes.Clone(pre), p)[len(pre):]
		if len(enc) != wire.StringLen(len(p)) {
			t.Fatalf("encoded %d bytes, StringLen = %d", len(enc), wire.StringLen(len(p)))
		}
		if s := wire.AppendString(nil, string(p)); !bytes.Equal(s, enc) {
			t.Fatalf("AppendString and AppendBytes differ")
		}
		got, n, err := wire.ParseBytes(enc, limit)
		rgot, rerr := wire.ReadBytes(bytes.NewReader(enc), limit)
		if uint64(len(p)) > limit {
			var le *wire.LengthError
			if !errors.As(err, &le) || le.Length != uint64(len(p)) || le.Max != limit {
				t.Fatalf("ParseBytes(len %d, max %d): err = %v, want LengthError", len(p), limit, err)
			}
			if !errors.As(rerr, &le) || le.Length != uint64(len(p)) || le.Max != limit {
				t.Fatalf("ReadBytes(len %d, max %d): err = %v, want LengthError", len(p), limit, rerr)
			}
			return
		}
		if err != nil || !bytes.Equal(got, p) || n != len(enc) {
			t.Fatalf("ParseBytes = %d bytes, %d, %v", len(got), n, err)
		}
		if rerr != nil || !bytes.Equal(rgot, p) {
			t.Fatalf("ReadBytes = %d bytes, %v", len(rgot), rerr)
		}
		s, _, err := wire.ParseUTF8(enc, limit)
		if utf8.Valid(p) != (err == nil) || (err == nil && s != string(p)) {
			t.Fatalf("ParseUTF8: valid = %v, err = %v", utf8.Valid(p), err)
		}
		if err != nil && err != wire.ErrInvalidUTF8 {
			t.Fatalf("ParseUTF8: err = %v, want ErrInvalidUTF8", err)
		}
	})
}

func TestPropUTF8RoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		enc := wire.AppendString(nil, s)
		got, n, err := wire.ParseUTF8(enc, uint64(len(s)))
		if err != nil || got != s || n != len(enc) {
			t.Fatalf("ParseUTF8 = %q, %d, %v; want %q", got, n, err, s)
		}
		if got, err := wire.ReadString(bytes.NewReader(enc), uint64(len(s))); err != nil || got != s {
			t.Fatalf("ReadString = %q, %v", got, err)
		}
	})
}

// TestPropStringReadEqualsParse runs both decoders over arbitrary bytes with
// arbitrary maxima.
func TestPropStringReadEqualsParse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "in")
		limit := rapid.OneOf(rapid.Uint64Range(0, 64), rapid.Uint64()).Draw(t, "max")
		checkBytesReadMatchesParse(t, in, limit)
	})
}

func TestPropBool(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.Bool().Draw(t, "v")
		enc := wire.AppendBool(nil, v)
		got, n, err := wire.ParseBool(enc)
		if err != nil || got != v || n != wire.BoolLen || len(enc) != wire.BoolLen {
			t.Fatalf("ParseBool(% x) = %v, %d, %v", enc, got, n, err)
		}
		if got, err := wire.ReadBool(bytes.NewReader(enc)); err != nil || got != v {
			t.Fatalf("ReadBool = %v, %v", got, err)
		}
		in := rapid.SliceOfN(rapid.Byte(), 0, 2).Draw(t, "in")
		checkBoolReadMatchesParse(t, in)
	})
}

// field is one value of a message-like sequence.
type field struct {
	kind int // 0 varint, 1 string, 2 bool
	v    uint64
	s    []byte
	b    bool
}

// TestPropSequence encodes a random sequence of fields, then decodes it with
// the Parse functions and, from one-byte and half readers, with the Read
// functions: the codecs must not disturb each other's framing.
func TestPropSequence(t *testing.T) {
	fieldGen := rapid.Custom(func(t *rapid.T) field {
		switch k := rapid.IntRange(0, 2).Draw(t, "kind"); k {
		case 0:
			return field{kind: k, v: varintValue().Draw(t, "v")}
		case 1:
			return field{kind: k, s: rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "s")}
		default:
			return field{kind: k, b: rapid.Bool().Draw(t, "b")}
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		fs := rapid.SliceOfN(fieldGen, 0, 12).Draw(t, "fields")
		var buf []byte
		for _, f := range fs {
			switch f.kind {
			case 0:
				buf = wire.AppendVarint(buf, f.v)
			case 1:
				buf = wire.AppendBytes(buf, f.s)
			default:
				buf = wire.AppendBool(buf, f.b)
			}
		}
		rest := buf
		for i, f := range fs {
			var n int
			var err error
			switch f.kind {
			case 0:
				var v uint64
				v, n, err = wire.ParseVarint(rest)
				if err == nil && v != f.v {
					t.Fatalf("field %d: varint %d, want %d", i, v, f.v)
				}
			case 1:
				var s []byte
				s, n, err = wire.ParseBytes(rest, 100)
				if err == nil && !bytes.Equal(s, f.s) {
					t.Fatalf("field %d: string %q, want %q", i, s, f.s)
				}
			default:
				var b bool
				b, n, err = wire.ParseBool(rest)
				if err == nil && b != f.b {
					t.Fatalf("field %d: bool %v, want %v", i, b, f.b)
				}
			}
			if err != nil {
				t.Fatalf("field %d: %v", i, err)
			}
			rest = rest[n:]
		}
		if len(rest) != 0 {
			t.Fatalf("%d bytes left over", len(rest))
		}
		for name, r := range readers(buf) {
			for i, f := range fs {
				var ok bool
				var err error
				switch f.kind {
				case 0:
					var v uint64
					v, err = wire.ReadVarint(r)
					ok = v == f.v
				case 1:
					var s []byte
					s, err = wire.ReadBytes(r, 100)
					ok = bytes.Equal(s, f.s)
				default:
					var b bool
					b, err = wire.ReadBool(r)
					ok = b == f.b
				}
				if err != nil || !ok {
					t.Fatalf("%s: field %d: ok = %v, err = %v", name, i, ok, err)
				}
			}
			if _, err := r.ReadByte(); err != io.EOF {
				t.Fatalf("%s: stream not at its end: %v", name, err)
			}
		}
	})
}
