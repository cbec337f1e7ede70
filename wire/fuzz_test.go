package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/ssh3-project/ssh3/wire"
)

// Every parser is fuzzed (style practice 5). When a parse succeeds, the
// bytes it consumed are re-encoded and must come back unchanged. Varints are
// not canonical: RFC 9000 §16 lets a value be written on any length it fits,
// and the ssh3-alpha peer writes its channel signal as an 8-byte varint, so
// the check re-encodes with the length that was read (AppendVarintLen) and
// only a minimal encoding must also equal AppendVarint. The Read functions
// must agree with the Parse functions on every input.

// fataler is what *testing.T and *rapid.T share.
type fataler interface {
	Fatalf(format string, args ...any)
}

// channelHeaders are the worked examples of protocol notes §3.2.
var channelHeaders = []string{
	"c0 00 00 00 af 36 27 e6 00 07 73 65 73 73 69 6f 6e 80 00 75 30",
	"c0 00 00 00 5e 67 73 0e 00 07 73 65 73 73 69 6f 6e 80 00 75 30",
	"c0 00 00 00 af 36 27 e6 00 0a 64 69 72 65 63 74 2d 74 63 70 80 00 75 30" +
		"06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f 90",
}

// seedBytes returns every vector of the table tests, their truncations and
// the channel headers.
func seedBytes(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range varintCases() {
		enc := unhex(t, c.hex)
		seeds = append(seeds, enc, enc[:len(enc)-1], append(bytes.Clone(enc), 0x25))
	}
	for _, c := range stringCases() {
		if enc := c.enc(t); len(enc) < 100 {
			seeds = append(seeds, enc, enc[:len(enc)-1])
		}
	}
	for _, h := range channelHeaders {
		seeds = append(seeds, unhex(t, h))
	}
	return append(seeds, nil, []byte{0}, []byte{1}, []byte{2}, []byte{0xff},
		unhex(t, hugeClaim), unhex(t, "ff ff ff ff ff ff ff ff"))
}

func FuzzParseVarint(f *testing.F) {
	for _, s := range seedBytes(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkVarintReadMatchesParse(t, in)
	})
}

// checkVarintReadMatchesParse decodes one varint from in with ParseVarintLen
// and ReadVarint and checks the results against each other and against the
// encoders.
func checkVarintReadMatchesParse(t fataler, in []byte) {
	v, n, minimal, err := wire.ParseVarintLen(in)
	if err != nil {
		if v != 0 || n != 0 || minimal {
			t.Fatalf("ParseVarintLen(% x) = %d, %d, %v on error %v", in, v, n, minimal, err)
		}
		switch {
		case len(in) == 0 && err != io.EOF:
			t.Fatalf("ParseVarintLen(empty) err = %v, want io.EOF", err)
		case len(in) > 0 && (err != wire.ErrTruncated || len(in) >= 1<<(in[0]>>6)):
			t.Fatalf("ParseVarintLen(% x) err = %v", in, err)
		}
	} else {
		if n != 1<<(in[0]>>6) || n > len(in) || v > wire.MaxVarint {
			t.Fatalf("ParseVarintLen(% x) = %d, %d", in, v, n)
		}
		// Canonical form: the same length gives back the same bytes.
		if re := wire.AppendVarintLen(nil, v, n); !bytes.Equal(re, in[:n]) {
			t.Fatalf("re-encoding %d on %d bytes = % x, input % x", v, n, re, in[:n])
		}
		// Only a minimal encoding is what AppendVarint writes.
		re := wire.AppendVarint(nil, v)
		if minimal != (n == wire.VarintLen(v)) || minimal != bytes.Equal(re, in[:n]) {
			t.Fatalf("% x: minimal = %v, AppendVarint = % x", in[:n], minimal, re)
		}
	}
	for name, r := range map[string]wire.Reader{
		"bytes.Reader":  bytes.NewReader(in),
		"OneByteReader": byteReader{iotest.OneByteReader(bytes.NewReader(in))},
	} {
		rv, rerr := wire.ReadVarint(r)
		if rerr != err || rv != v {
			t.Fatalf("%s: ReadVarint(% x) = %d, %v; ParseVarint = %d, %v", name, in, rv, rerr, v, err)
		}
		if rest, _ := io.ReadAll(r); err == nil && !bytes.Equal(rest, in[n:]) {
			t.Fatalf("%s: ReadVarint left % x, want % x", name, rest, in[n:])
		}
	}
}

// FuzzReadVarint reads varints back to back from a stream until it fails,
// and checks each step against ParseVarint on what is left.
func FuzzReadVarint(f *testing.F) {
	for _, s := range seedBytes(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for name, r := range readers(in) {
			rest := in
			for {
				rv, rerr := wire.ReadVarint(r)
				v, n, err := wire.ParseVarint(rest)
				if rerr != err || rv != v {
					t.Fatalf("%s: at offset %d: ReadVarint = %d, %v; ParseVarint = %d, %v",
						name, len(in)-len(rest), rv, rerr, v, err)
				}
				if err != nil {
					break
				}
				if re := wire.AppendVarintLen(nil, v, n); !bytes.Equal(re, rest[:n]) {
					t.Fatalf("re-encoding %d on %d bytes = % x, input % x", v, n, re, rest[:n])
				}
				rest = rest[n:]
			}
		}
	})
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range seedBytes(f) {
		f.Add(s, uint64(len(s)))
		f.Add(s, uint64(0))
		f.Add(s, uint64(1<<64-1))
	}
	f.Add(unhex(f, hugeClaim), uint64(1<<20))
	f.Fuzz(func(t *testing.T, in []byte, max uint64) {
		checkBytesReadMatchesParse(t, in, max)
	})
}

// checkBytesReadMatchesParse decodes one byte string from in with ParseBytes,
// ParseString and ReadBytes, and checks the results against each other and
// against the encoders.
func checkBytesReadMatchesParse(t fataler, in []byte, max uint64) {
	p, n, err := wire.ParseBytes(in, max)
	l, ln, lerr := wire.ParseVarint(in)
	var le *wire.LengthError
	switch {
	case err == nil:
		if uint64(len(p)) != l || l > max || n != ln+len(p) || cap(p) != len(p) {
			t.Fatalf("ParseBytes(% x, %d) = %q, %d; prefix %d on %d bytes", in, max, p, n, l, ln)
		}
		re := append(wire.AppendVarintLen(nil, l, ln), p...)
		if !bytes.Equal(re, in[:n]) {
			t.Fatalf("re-encoding = % x, input % x", re, in[:n])
		}
		if _, _, minimal, _ := wire.ParseVarintLen(in); minimal != bytes.Equal(wire.AppendBytes(nil, p), in[:n]) {
			t.Fatalf("% x: AppendBytes differs from a minimal input", in[:n])
		}
	case p != nil || n != 0:
		t.Fatalf("ParseBytes(% x, %d) = %q, %d on error %v", in, max, p, n, err)
	case errors.As(err, &le):
		if lerr != nil || le.Length != l || le.Max != max || l <= max {
			t.Fatalf("ParseBytes(% x, %d): %v", in, max, err)
		}
	case lerr != nil:
		if err != lerr {
			t.Fatalf("ParseBytes(% x, %d) err = %v, ParseVarint err = %v", in, max, err, lerr)
		}
	case err != wire.ErrTruncated || uint64(len(in)-ln) >= l:
		t.Fatalf("ParseBytes(% x, %d) err = %v, want ErrTruncated", in, max, err)
	}

	s, sn, serr := wire.ParseString(in, max)
	if sn != n || s != string(p) || !sameError(serr, err) {
		t.Fatalf("ParseString = %q, %d, %v; ParseBytes = %q, %d, %v", s, sn, serr, p, n, err)
	}
	for name, r := range map[string]wire.Reader{
		"bytes.Reader":  bytes.NewReader(in),
		"OneByteReader": byteReader{iotest.OneByteReader(bytes.NewReader(in))},
		"HalfReader":    byteReader{iotest.HalfReader(bytes.NewReader(in))},
	} {
		rp, rerr := wire.ReadBytes(r, max)
		if !sameError(rerr, err) || !bytes.Equal(rp, p) {
			t.Fatalf("%s: ReadBytes(% x, %d) = %q, %v; ParseBytes = %q, %v", name, in, max, rp, rerr, p, err)
		}
		if rest, _ := io.ReadAll(r); err == nil && !bytes.Equal(rest, in[n:]) {
			t.Fatalf("%s: ReadBytes left % x, want % x", name, rest, in[n:])
		}
	}
}

// sameError reports whether two decoders failed the same way: the same
// sentinel, or LengthErrors with the same fields.
func sameError(a, b error) bool {
	var la, lb *wire.LengthError
	if errors.As(a, &la) && errors.As(b, &lb) {
		return *la == *lb
	}
	return a == b
}

func FuzzParseUTF8(f *testing.F) {
	for _, s := range seedBytes(f) {
		f.Add(s, uint64(len(s)))
	}
	for _, s := range []string{"héllo", "\xff", "\xc0\x80", "\xed\xa0\x80", "日本語"} {
		f.Add(wire.AppendString(nil, s), uint64(100))
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint64) {
		p, n, err := wire.ParseBytes(in, max)
		s, sn, serr := wire.ParseUTF8(in, max)
		switch {
		case err == nil && utf8.Valid(p):
			if serr != nil || s != string(p) || sn != n {
				t.Fatalf("ParseUTF8(% x) = %q, %d, %v; want %q, %d", in, s, sn, serr, p, n)
			}
			re := append(wire.AppendVarintLen(nil, uint64(len(s)), n-len(s)), s...)
			if !bytes.Equal(re, in[:n]) {
				t.Fatalf("re-encoding = % x, input % x", re, in[:n])
			}
		case err == nil:
			if serr != wire.ErrInvalidUTF8 || s != "" || sn != 0 {
				t.Fatalf("ParseUTF8(% x) = %q, %d, %v; want ErrInvalidUTF8", in, s, sn, serr)
			}
		default:
			if !sameError(serr, err) || s != "" || sn != 0 {
				t.Fatalf("ParseUTF8(% x) = %q, %d, %v; ParseBytes err = %v", in, s, sn, serr, err)
			}
		}
		rs, rerr := wire.ReadString(bytes.NewReader(in), max)
		if !sameError(rerr, err) || rs != string(p) {
			t.Fatalf("ReadString = %q, %v; ParseBytes = %q, %v", rs, rerr, p, err)
		}
	})
}

func FuzzParseBool(f *testing.F) {
	for _, s := range seedBytes(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkBoolReadMatchesParse(t, in)
	})
}

func checkBoolReadMatchesParse(t fataler, in []byte) {
	v, n, err := wire.ParseBool(in)
	var be *wire.BoolError
	switch {
	case len(in) == 0:
		if err != io.EOF {
			t.Fatalf("ParseBool(empty) err = %v", err)
		}
	case in[0] > 1:
		if !errors.As(err, &be) || be.Value != in[0] || v || n != 0 {
			t.Fatalf("ParseBool(% x) = %v, %d, %v; want BoolError", in, v, n, err)
		}
	default:
		if err != nil || n != 1 || !bytes.Equal(wire.AppendBool(nil, v), in[:1]) {
			t.Fatalf("ParseBool(% x) = %v, %d, %v", in, v, n, err)
		}
	}
	rv, rerr := wire.ReadBool(bytes.NewReader(in))
	var rbe *wire.BoolError
	if rv != v || (err == nil) != (rerr == nil) || (be != nil && (!errors.As(rerr, &rbe) || *rbe != *be)) ||
		(err == io.EOF && rerr != io.EOF) {
		t.Fatalf("ReadBool(% x) = %v, %v; ParseBool = %v, %v", in, rv, rerr, v, err)
	}
}
