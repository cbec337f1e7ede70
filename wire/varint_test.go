package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/wire"
)

// varintCase is one encoding of a value. minimal is false for the
// non-minimal forms RFC 9000 §16 allows a decoder to accept.
type varintCase struct {
	name    string
	value   uint64
	hex     string
	minimal bool
}

func varintCases() []varintCase {
	cs := []varintCase{
		// Length boundaries (RFC 9000 §16, Table 4).
		{"zero", 0, "00", true},
		{"max1", 63, "3f", true},
		{"min2", 64, "40 40", true},
		{"max2", 16383, "7f ff", true},
		{"min4", 16384, "80 00 40 00", true},
		{"max4", 1<<30 - 1, "bf ff ff ff", true},
		{"min8", 1 << 30, "c0 00 00 00 40 00 00 00", true},
		{"max8", wire.MaxVarint, "ff ff ff ff ff ff ff ff", true},

		// RFC 9000 Appendix A.1.
		{"rfc-8byte", 151288809941952652, "c2 19 7c 5e ff 14 e8 8c", true},
		{"rfc-4byte", 494878333, "9d 7f 3e 7d", true},
		{"rfc-2byte", 15293, "7b bd", true},
		{"rfc-1byte", 37, "25", true},
		{"rfc-2byte-nonminimal", 37, "40 25", false},

		// Channel signals (protocol notes §3.2): above 2^30-1, so the 8-byte
		// form is also the minimal one.
		{"signal-alpha", 0xaf3627e6, "c0 00 00 00 af 36 27 e6", true},
		{"signal-rth3", 0x5e67730e, "c0 00 00 00 5e 67 73 0e", true},

		// The reference's maximum message size (protocol notes §3.1).
		{"max-message-size", 30000, "80 00 75 30", true},

		// Other non-minimal forms.
		{"zero-2byte", 0, "40 00", false},
		{"zero-4byte", 0, "80 00 00 00", false},
		{"zero-8byte", 0, "c0 00 00 00 00 00 00 00", false},
		{"max1-8byte", 63, "c0 00 00 00 00 00 00 3f", false},
		{"max2-4byte", 16383, "80 00 3f ff", false},
		{"max4-8byte", 1<<30 - 1, "c0 00 00 00 3f ff ff ff", false},
	}
	// Message numbers 91..100 (protocol notes §3.1, §3.5).
	for v := uint64(91); v <= 100; v++ {
		cs = append(cs, varintCase{fmt.Sprintf("msg-%d", v), v, fmt.Sprintf("40 %02x", v), true})
	}
	return cs
}

// TestVarintVectors tests every vector four ways: exact bytes, length,
// round trip through Parse and Read, and every truncated prefix.
func TestVarintVectors(t *testing.T) {
	for _, c := range varintCases() {
		t.Run(c.name, func(t *testing.T) {
			enc := unhex(t, c.hex)
			t.Run("bytes", func(t *testing.T) { testVarintBytes(t, c, enc) })
			t.Run("len", func(t *testing.T) { testVarintLen(t, c, enc) })
			t.Run("roundtrip", func(t *testing.T) { testVarintRoundTrip(t, c, enc) })
			t.Run("truncated", func(t *testing.T) { testVarintTruncated(t, enc) })
		})
	}
}

func testVarintBytes(t *testing.T, c varintCase, enc []byte) {
	prefix := []byte{0xaa, 0xbb}
	if c.minimal {
		if got := wire.AppendVarint(nil, c.value); !bytes.Equal(got, enc) {
			t.Errorf("AppendVarint(nil, %d) = % x, want % x", c.value, got, enc)
		}
		got := wire.AppendVarint(bytes.Clone(prefix), c.value)
		if want := append(bytes.Clone(prefix), enc...); !bytes.Equal(got, want) {
			t.Errorf("AppendVarint(prefix, %d) = % x, want % x", c.value, got, want)
		}
	}
	if got := wire.AppendVarintLen(nil, c.value, len(enc)); !bytes.Equal(got, enc) {
		t.Errorf("AppendVarintLen(nil, %d, %d) = % x, want % x", c.value, len(enc), got, enc)
	}
}

func testVarintLen(t *testing.T, c varintCase, enc []byte) {
	l := wire.VarintLen(c.value)
	if c.minimal && l != len(enc) {
		t.Errorf("VarintLen(%d) = %d, want %d", c.value, l, len(enc))
	}
	if !c.minimal && l >= len(enc) {
		t.Errorf("VarintLen(%d) = %d, want less than the non-minimal %d", c.value, l, len(enc))
	}
	if !wire.ValidVarint(c.value) {
		t.Errorf("ValidVarint(%d) = false", c.value)
	}
}

func testVarintRoundTrip(t *testing.T, c varintCase, enc []byte) {
	// Trailing bytes must be left alone.
	in := append(bytes.Clone(enc), 0xff, 0x00)
	v, n, err := wire.ParseVarint(in)
	if err != nil || v != c.value || n != len(enc) {
		t.Errorf("ParseVarint(% x) = %d, %d, %v; want %d, %d, nil", in, v, n, err, c.value, len(enc))
	}
	v, n, minimal, err := wire.ParseVarintLen(in)
	if err != nil || v != c.value || n != len(enc) || minimal != c.minimal {
		t.Errorf("ParseVarintLen(% x) = %d, %d, %v, %v; want %d, %d, %v, nil",
			in, v, n, minimal, err, c.value, len(enc), c.minimal)
	}
	for name, r := range readers(in) {
		v, err := wire.ReadVarint(r)
		if err != nil || v != c.value {
			t.Errorf("%s: ReadVarint = %d, %v; want %d, nil", name, v, err, c.value)
		}
		rest, _ := io.ReadAll(r)
		if !bytes.Equal(rest, []byte{0xff, 0x00}) {
			t.Errorf("%s: ReadVarint left % x, want ff 00", name, rest)
		}
	}
}

func testVarintTruncated(t *testing.T, enc []byte) {
	for i := range len(enc) {
		v, n, err := wire.ParseVarint(enc[:i])
		if v != 0 || n != 0 {
			t.Errorf("ParseVarint(% x) = %d, %d; want 0, 0 on error", enc[:i], v, n)
		}
		checkEnd(t, i, err)
		_, _, minimal, err := wire.ParseVarintLen(enc[:i])
		if minimal {
			t.Errorf("ParseVarintLen(% x): minimal = true on error", enc[:i])
		}
		checkEnd(t, i, err)
		for name, r := range readers(enc[:i]) {
			_, err := wire.ReadVarint(r)
			t.Run(name, func(t *testing.T) { checkEnd(t, i, err) })
		}
	}
}

// TestAppendVarintLenEachLength writes values on every length they fit.
func TestAppendVarintLenEachLength(t *testing.T) {
	tests := []struct {
		v    uint64
		n    int
		want string
	}{
		{5, 1, "05"},
		{5, 2, "40 05"},
		{5, 4, "80 00 00 05"},
		{5, 8, "c0 00 00 00 00 00 00 05"},
		{63, 1, "3f"},
		{16383, 2, "7f ff"},
		{16383, 8, "c0 00 00 00 00 00 3f ff"},
		{1<<30 - 1, 4, "bf ff ff ff"},
		{0xaf3627e6, 8, "c0 00 00 00 af 36 27 e6"},
		{wire.MaxVarint, 8, "ff ff ff ff ff ff ff ff"},
	}
	for _, tt := range tests {
		got := wire.AppendVarintLen([]byte{0x11}, tt.v, tt.n)
		want := append([]byte{0x11}, unhex(t, tt.want)...)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendVarintLen(%d, %d) = % x, want % x", tt.v, tt.n, got, want)
		}
		v, n, minimal, err := wire.ParseVarintLen(got[1:])
		if err != nil || v != tt.v || n != tt.n || minimal != (tt.n == wire.VarintLen(tt.v)) {
			t.Errorf("ParseVarintLen(% x) = %d, %d, %v, %v", got[1:], v, n, minimal, err)
		}
	}
}

// TestAppendVarintLenPanics covers the programmer errors: a value too large
// for the chosen length, a length that is not 1, 2, 4 or 8, and a value
// above MaxVarint.
func TestAppendVarintLenPanics(t *testing.T) {
	tests := []struct {
		v uint64
		n int
	}{
		{64, 1},
		{16384, 2},
		{1 << 30, 4},
		{wire.MaxVarint, 4},
		{wire.MaxVarint + 1, 8},
		{1<<64 - 1, 8},
		{0, 0},
		{0, -1},
		{0, 3},
		{0, 5},
		{0, 16},
		{5, 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.v, tt.n), func(t *testing.T) {
			buf := make([]byte, 0, 16)
			msg := mustPanic(t, func() { wire.AppendVarintLen(buf, tt.v, tt.n) })
			if !strings.HasPrefix(msg, "wire: ") {
				t.Errorf("panic message %q does not start with \"wire: \"", msg)
			}
		})
	}
}

func TestAppendVarintPanicsAboveMax(t *testing.T) {
	for _, v := range []uint64{wire.MaxVarint + 1, 1 << 63, 1<<64 - 1} {
		msg := mustPanic(t, func() { wire.AppendVarint(nil, v) })
		if !strings.HasPrefix(msg, "wire: ") {
			t.Errorf("AppendVarint(%d): panic message %q does not start with \"wire: \"", v, msg)
		}
		msg = mustPanic(t, func() { wire.VarintLen(v) })
		if !strings.HasPrefix(msg, "wire: ") {
			t.Errorf("VarintLen(%d): panic message %q does not start with \"wire: \"", v, msg)
		}
		if wire.ValidVarint(v) {
			t.Errorf("ValidVarint(%d) = true", v)
		}
	}
}

// TestParseVarintAllFirstBytes checks that the first byte alone decides the
// length, for all 256 first bytes.
func TestParseVarintAllFirstBytes(t *testing.T) {
	for c := range 256 {
		want := 1 << (c >> 6)
		in := make([]byte, 8)
		in[0] = byte(c)
		_, n, err := wire.ParseVarint(in)
		if err != nil || n != want {
			t.Errorf("first byte %#02x: n = %d, err = %v; want %d", c, n, err, want)
		}
		if want == 1 {
			continue
		}
		if _, _, err := wire.ParseVarint(in[:want-1]); !errors.Is(err, wire.ErrTruncated) {
			t.Errorf("first byte %#02x with %d bytes: err = %v, want ErrTruncated", c, want-1, err)
		}
	}
}

// errAfter is a reader that yields data and then fails with err.
type errAfter struct {
	data []byte
	err  error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *errAfter) ReadByte() (byte, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	c := r.data[0]
	r.data = r.data[1:]
	return c, nil
}

// TestReadVarintPassesErrors checks that a stream error other than io.EOF is
// returned as it is, before and inside a value.
func TestReadVarintPassesErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, data := range [][]byte{nil, {0x40}, {0x80, 0, 0}, {0xc0}} {
		_, err := wire.ReadVarint(&errAfter{data, boom})
		if err != boom {
			t.Errorf("after % x: err = %v, want boom", data, err)
		}
	}
}

// TestReadVarintSequence reads back-to-back values from one stream.
func TestReadVarintSequence(t *testing.T) {
	var buf []byte
	cs := varintCases()
	for _, c := range cs {
		buf = append(buf, unhex(t, c.hex)...)
	}
	for name, r := range readers(buf) {
		for _, c := range cs {
			v, err := wire.ReadVarint(r)
			if err != nil || v != c.value {
				t.Fatalf("%s: %s: ReadVarint = %d, %v; want %d", name, c.name, v, err, c.value)
			}
		}
		if _, err := wire.ReadVarint(r); err != io.EOF {
			t.Errorf("%s: at end: err = %v, want io.EOF", name, err)
		}
	}
}
