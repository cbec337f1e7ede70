package wire_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/wire"
)

// TestErrorMessages checks that every error names the package (style
// practice 8: messages lower case, prefixed with the package name).
func TestErrorMessages(t *testing.T) {
	errs := []error{
		wire.ErrTruncated,
		wire.ErrInvalidUTF8,
		&wire.BoolError{Value: 2},
		&wire.LengthError{Length: 1 << 40, Max: 4096},
	}
	for _, err := range errs {
		if msg := err.Error(); !strings.HasPrefix(msg, "wire: ") {
			t.Errorf("%T: message %q does not start with \"wire: \"", err, msg)
		}
	}
	// The errors the parsers actually return, not just the declared ones.
	_, _, err := wire.ParseVarint([]byte{0x40})
	_, _, err2 := wire.ParseBytes([]byte{0x05}, 1)
	_, _, err3 := wire.ParseUTF8([]byte{0x01, 0xff}, 1)
	_, _, err4 := wire.ParseBool([]byte{0x07})
	for _, err := range []error{err, err2, err3, err4} {
		if err == nil || !strings.HasPrefix(err.Error(), "wire: ") {
			t.Errorf("error %v does not start with \"wire: \"", err)
		}
	}
	want := "wire: length 1099511627776 exceeds the maximum of 4096"
	if got := errs[3].Error(); got != want {
		t.Errorf("LengthError = %q, want %q", got, want)
	}
}

func TestErrTruncatedIsUnexpectedEOF(t *testing.T) {
	if !errors.Is(wire.ErrTruncated, io.ErrUnexpectedEOF) {
		t.Error("ErrTruncated does not match io.ErrUnexpectedEOF")
	}
	if errors.Is(wire.ErrTruncated, io.EOF) {
		t.Error("ErrTruncated matches io.EOF")
	}
}
