package wire_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/wire"
)

type stringCase struct {
	name string
	s    string
	hex  string // the full encoding; empty means computed from the prefix below
	pfx  string // the length prefix when hex is empty
}

func stringCases() []stringCase {
	return []stringCase{
		{name: "empty", s: "", hex: "00"},
		{name: "one", s: "a", hex: "01 61"},
		{name: "session", s: "session", hex: "07 73 65 73 73 69 6f 6e"},
		{name: "direct-tcp", s: "direct-tcp", hex: "0a 64 69 72 65 63 74 2d 74 63 70"},
		{name: "utf8", s: "héllo", hex: "06 68 c3 a9 6c 6c 6f"},
		{name: "binary", s: "\x00\xff\x80", hex: "03 00 ff 80"},
		{name: "len63", s: strings.Repeat("x", 63), pfx: "3f"},
		{name: "len64", s: strings.Repeat("y", 64), pfx: "40 40"},
		{name: "len16383", s: strings.Repeat("z", 16383), pfx: "7f ff"},
		{name: "len16384", s: strings.Repeat("w", 16384), pfx: "80 00 40 00"},
	}
}

func (c stringCase) enc(t testing.TB) []byte {
	if c.hex != "" {
		return unhex(t, c.hex)
	}
	return append(unhex(t, c.pfx), c.s...)
}

// TestStringVectors tests strings and byte strings four ways.
func TestStringVectors(t *testing.T) {
	for _, c := range stringCases() {
		t.Run(c.name, func(t *testing.T) {
			enc := c.enc(t)
			t.Run("bytes", func(t *testing.T) {
				if got := wire.AppendString([]byte{0xee}, c.s); !bytes.Equal(got[1:], enc) || got[0] != 0xee {
					t.Errorf("AppendString(%q) = % x, want ee % x", c.s, got, enc)
				}
				if got := wire.AppendBytes(nil, []byte(c.s)); !bytes.Equal(got, enc) {
					t.Errorf("AppendBytes(%q) = % x, want % x", c.s, got, enc)
				}
			})
			t.Run("len", func(t *testing.T) {
				if got := wire.StringLen(len(c.s)); got != len(enc) {
					t.Errorf("StringLen(%d) = %d, want %d", len(c.s), got, len(enc))
				}
			})
			t.Run("roundtrip", func(t *testing.T) { testStringRoundTrip(t, c.s, enc) })
			t.Run("truncated", func(t *testing.T) { testStringTruncated(t, enc) })
		})
	}
}

func testStringRoundTrip(t *testing.T, s string, enc []byte) {
	in := append(bytes.Clone(enc), 0x01, 0x02)
	max := uint64(len(s))
	p, n, err := wire.ParseBytes(in, max)
	if err != nil || string(p) != s || n != len(enc) {
		t.Errorf("ParseBytes = %q, %d, %v; want %q, %d, nil", p, n, err, s, len(enc))
	}
	got, n, err := wire.ParseString(in, max)
	if err != nil || got != s || n != len(enc) {
		t.Errorf("ParseString = %q, %d, %v", got, n, err)
	}
	got, n, err = wire.ParseUTF8(in, max)
	if err != nil || got != s || n != len(enc) {
		// All vectors but "binary" are UTF-8.
		if !(errors.Is(err, wire.ErrInvalidUTF8) && s == "\x00\xff\x80") {
			t.Errorf("ParseUTF8 = %q, %d, %v", got, n, err)
		}
	}
	for name, r := range readers(in) {
		p, err := wire.ReadBytes(r, max)
		if err != nil || string(p) != s {
			t.Errorf("%s: ReadBytes = %q, %v", name, p, err)
		}
		if rest, _ := io.ReadAll(r); !bytes.Equal(rest, []byte{1, 2}) {
			t.Errorf("%s: ReadBytes left % x, want 01 02", name, rest)
		}
	}
	for name, r := range readers(in) {
		got, err := wire.ReadString(r, max)
		if err != nil || got != s {
			t.Errorf("%s: ReadString = %q, %v", name, got, err)
		}
	}
}

func testStringTruncated(t *testing.T, enc []byte) {
	for i := range len(enc) {
		p, n, err := wire.ParseBytes(enc[:i], wire.MaxVarint)
		if p != nil || n != 0 {
			t.Errorf("ParseBytes(%d bytes) = %q, %d on error", i, p, n)
		}
		checkEnd(t, i, err)
		_, _, err = wire.ParseString(enc[:i], wire.MaxVarint)
		checkEnd(t, i, err)
		_, _, err = wire.ParseUTF8(enc[:i], wire.MaxVarint)
		checkEnd(t, i, err)
		// Readers are slow one byte at a time; the long vectors check the
		// prefix boundaries and a few body lengths.
		if len(enc) > 100 && i > 8 && i < len(enc)-2 {
			continue
		}
		for name, r := range readers(enc[:i]) {
			_, err := wire.ReadBytes(r, wire.MaxVarint)
			t.Run("ReadBytes/"+name, func(t *testing.T) { checkEnd(t, i, err) })
		}
		_, err = wire.ReadString(bytes.NewReader(enc[:i]), wire.MaxVarint)
		checkEnd(t, i, err)
	}
}

func TestStringMax(t *testing.T) {
	enc := wire.AppendString(nil, "session")
	tests := []struct {
		max     uint64
		wantErr bool
	}{
		{0, true},
		{6, true},
		{7, false},
		{8, false},
		{wire.MaxVarint, false},
		{1<<64 - 1, false},
	}
	for _, tt := range tests {
		_, _, err := wire.ParseBytes(enc, tt.max)
		checkLengthError(t, "ParseBytes", err, tt.wantErr, 7, tt.max)
		_, _, err = wire.ParseString(enc, tt.max)
		checkLengthError(t, "ParseString", err, tt.wantErr, 7, tt.max)
		_, _, err = wire.ParseUTF8(enc, tt.max)
		checkLengthError(t, "ParseUTF8", err, tt.wantErr, 7, tt.max)
		for name, r := range readers(enc) {
			_, err := wire.ReadBytes(r, tt.max)
			checkLengthError(t, "ReadBytes/"+name, err, tt.wantErr, 7, tt.max)
		}
		_, err = wire.ReadString(bytes.NewReader(enc), tt.max)
		checkLengthError(t, "ReadString", err, tt.wantErr, 7, tt.max)
	}
	// An empty string fits a maximum of zero.
	if p, n, err := wire.ParseBytes([]byte{0}, 0); err != nil || len(p) != 0 || n != 1 {
		t.Errorf("ParseBytes(00, 0) = %q, %d, %v", p, n, err)
	}
}

func checkLengthError(t *testing.T, fn string, err error, want bool, length, max uint64) {
	t.Helper()
	var le *wire.LengthError
	switch {
	case !want && err != nil:
		t.Errorf("%s(max %d): err = %v, want nil", fn, max, err)
	case want && !errors.As(err, &le):
		t.Errorf("%s(max %d): err = %v, want *LengthError", fn, max, err)
	case want && (le.Length != length || le.Max != max):
		t.Errorf("%s(max %d): %+v, want Length %d, Max %d", fn, max, le, length, max)
	}
}

// hugeClaim is a length prefix announcing 2^40 bytes followed by 3 bytes.
const hugeClaim = "c0 00 01 00 00 00 00 00 61 62 63"

// TestHugeLengthNotAllocated checks that a prefix claiming 2^40 bytes on a
// short input is refused without allocating what it announces, whether the
// maximum is below the claim (LengthError) or above it (ErrTruncated).
func TestHugeLengthNotAllocated(t *testing.T) {
	in := unhex(t, hugeClaim)
	const small = 1 << 20
	var err error
	allocs := testing.AllocsPerRun(100, func() { _, _, err = wire.ParseBytes(in, small) })
	checkLengthError(t, "ParseBytes", err, true, 1<<40, small)
	if allocs > 1 { // the *LengthError itself
		t.Errorf("ParseBytes: %v allocations, want at most 1", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() { _, _, err = wire.ParseBytes(in, wire.MaxVarint) })
	if !errors.Is(err, wire.ErrTruncated) || allocs != 0 {
		t.Errorf("ParseBytes(max MaxVarint): err = %v, %v allocations; want ErrTruncated, 0", err, allocs)
	}
	_, _, err = wire.ParseUTF8(in, small)
	checkLengthError(t, "ParseUTF8", err, true, 1<<40, small)

	// ReadBytes must refuse before reading the body: the 3 bytes stay.
	r := bytes.NewReader(in)
	_, err = wire.ReadBytes(r, small)
	checkLengthError(t, "ReadBytes", err, true, 1<<40, small)
	if r.Len() != 3 {
		t.Errorf("ReadBytes consumed the body after a LengthError: %d bytes left, want 3", r.Len())
	}
	_, err = wire.ReadString(bytes.NewReader(in), small)
	checkLengthError(t, "ReadString", err, true, 1<<40, small)
}

// TestReadBytesHugeClaimWithLargeMax checks that even when the caller's
// maximum admits the claim, ReadBytes allocates in proportion to the bytes
// that actually arrive, not to the length the peer announces.
func TestReadBytesHugeClaimWithLargeMax(t *testing.T) {
	for _, claim := range []string{
		hugeClaim,                 // 2^40: a 1 TiB make would be fatal
		"ff ff ff ff ff ff ff ff", // 2^62-1: make would panic
		"ff ff ff ff ff ff ff ff 61",
		"c0 00 00 00 10 00 00 00", // 256 MiB
	} {
		in := unhex(t, claim)
		for name, r := range readers(in) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := wire.ReadBytes(r, 1<<64-1)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, wire.ErrTruncated) {
				t.Errorf("%s: %s: err = %v, want ErrTruncated", claim, name, err)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
				t.Errorf("%s: %s: allocated %d bytes for a 3-byte body", claim, name, d)
			}
		}
	}
}

// TestReadBytesLargeBody reads a body larger than any internal chunk.
func TestReadBytesLargeBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640000 bytes
	enc := wire.AppendBytes(nil, body)
	for name, r := range readers(enc) {
		if name == "OneByteReader" || name == "bufio/OneByte" {
			continue // too slow for no added coverage
		}
		p, err := wire.ReadBytes(r, uint64(len(body)))
		if err != nil || !bytes.Equal(p, body) {
			t.Errorf("%s: ReadBytes: %d bytes, %v", name, len(p), err)
		}
		_, err = wire.ReadBytes(r, 1<<64-1)
		checkEnd(t, 0, err)
	}
	_, err := wire.ReadBytes(bytes.NewReader(enc[:len(enc)-1]), 1<<64-1)
	checkEnd(t, 1, err)
}

func TestParseUTF8Invalid(t *testing.T) {
	for _, s := range []string{
		"\xff",
		"\xc0\x80",         // overlong NUL
		"\xed\xa0\x80",     // surrogate
		"\xe2\x82",         // cut multi-byte sequence
		"ok\x80",           // stray continuation byte
		"\xf4\x90\x80\x80", // above U+10FFFF
	} {
		enc := wire.AppendString(nil, s)
		got, n, err := wire.ParseUTF8(enc, 100)
		if err != wire.ErrInvalidUTF8 || got != "" || n != 0 {
			t.Errorf("ParseUTF8(%q) = %q, %d, %v; want ErrInvalidUTF8", s, got, n, err)
		}
		// ParseString does not care.
		if got, _, err := wire.ParseString(enc, 100); err != nil || got != s {
			t.Errorf("ParseString(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "日本語", "ssh3 ✓", "\U0010ffff"} {
		if got, _, err := wire.ParseUTF8(wire.AppendString(nil, s), 100); err != nil || got != s {
			t.Errorf("ParseUTF8(%q) = %q, %v", s, got, err)
		}
	}
}

// TestParseBytesAliases checks that the result is a window on the input
// whose capacity ends with it, so appending to it copies instead of
// overwriting what follows.
func TestParseBytesAliases(t *testing.T) {
	in := append(wire.AppendString(nil, "abc"), "XYZ"...)
	orig := bytes.Clone(in)
	p, n, err := wire.ParseBytes(in, 10)
	if err != nil || n != 4 {
		t.Fatalf("ParseBytes = %q, %d, %v", p, n, err)
	}
	if &p[0] != &in[1] {
		t.Errorf("result does not alias the input")
	}
	if cap(p) != len(p) {
		t.Errorf("cap = %d, want %d", cap(p), len(p))
	}
	p = append(p, "!!!"...)
	if !bytes.Equal(in, orig) {
		t.Errorf("appending to the result changed the input: % x, was % x", in, orig)
	}
	if string(p) != "abc!!!" {
		t.Errorf("p = %q", p)
	}
	// ParseString copies.
	s, _, _ := wire.ParseString(in, 10)
	in[1] = 'Q'
	if s != "abc" {
		t.Errorf("ParseString result changed with its input: %q", s)
	}
}

// TestReadStringSequence reads several fields back to back.
func TestReadStringSequence(t *testing.T) {
	cs := stringCases()
	var buf []byte
	for _, c := range cs {
		buf = append(buf, c.enc(t)...)
	}
	for name, r := range readers(buf) {
		for _, c := range cs {
			got, err := wire.ReadString(r, 1<<20)
			if err != nil || got != c.s {
				t.Fatalf("%s: %s: ReadString = %d bytes, %v", name, c.name, len(got), err)
			}
		}
		if _, err := wire.ReadString(r, 1<<20); err != io.EOF {
			t.Errorf("%s: at end: err = %v, want io.EOF", name, err)
		}
	}
}
