package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ssh3-project/ssh3/wire"
)

func TestBoolVectors(t *testing.T) {
	for _, tt := range []struct {
		v   bool
		enc byte
	}{{false, 0x00}, {true, 0x01}} {
		// Exact bytes and length.
		got := wire.AppendBool([]byte{0xaa}, tt.v)
		if !bytes.Equal(got, []byte{0xaa, tt.enc}) || len(got)-1 != wire.BoolLen {
			t.Errorf("AppendBool(%v) = % x, want aa %02x", tt.v, got, tt.enc)
		}
		// Round trip, leaving what follows.
		v, n, err := wire.ParseBool([]byte{tt.enc, 0xff})
		if err != nil || v != tt.v || n != 1 {
			t.Errorf("ParseBool(%02x) = %v, %d, %v", tt.enc, v, n, err)
		}
		for name, r := range readers([]byte{tt.enc, 0xff}) {
			v, err := wire.ReadBool(r)
			if err != nil || v != tt.v {
				t.Errorf("%s: ReadBool(%02x) = %v, %v", name, tt.enc, v, err)
			}
			if rest, _ := io.ReadAll(r); !bytes.Equal(rest, []byte{0xff}) {
				t.Errorf("%s: ReadBool left % x", name, rest)
			}
		}
	}
	// The only truncated prefix is the empty one.
	_, n, err := wire.ParseBool(nil)
	if err != io.EOF || n != 0 {
		t.Errorf("ParseBool(nil) = %d, %v; want io.EOF", n, err)
	}
	for name, r := range readers(nil) {
		if _, err := wire.ReadBool(r); err != io.EOF {
			t.Errorf("%s: ReadBool(empty) = %v, want io.EOF", name, err)
		}
	}
}

// TestBoolInvalid checks that bytes other than 0 and 1 are a *BoolError
// carrying the byte, although the ssh3-alpha peer would read them as true.
func TestBoolInvalid(t *testing.T) {
	for c := 2; c < 256; c++ {
		v, n, err := wire.ParseBool([]byte{byte(c)})
		var be *wire.BoolError
		if !errors.As(err, &be) || be.Value != byte(c) || v || n != 0 {
			t.Fatalf("ParseBool(%02x) = %v, %d, %v; want *BoolError{%#x}", c, v, n, err, c)
		}
		v, err = wire.ReadBool(bytes.NewReader([]byte{byte(c)}))
		if !errors.As(err, &be) || be.Value != byte(c) || v {
			t.Fatalf("ReadBool(%02x) = %v, %v; want *BoolError", c, v, err)
		}
	}
	for _, c := range []byte{2, 0xff} {
		want := map[byte]string{
			2:    "wire: boolean byte is 0x02, want 0x00 or 0x01",
			0xff: "wire: boolean byte is 0xff, want 0x00 or 0x01",
		}[c]
		_, _, err := wire.ParseBool([]byte{c})
		if err == nil || err.Error() != want {
			t.Errorf("ParseBool(%02x) error = %v, want %q", c, err, want)
		}
	}
}
