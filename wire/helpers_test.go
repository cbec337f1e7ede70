package wire_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ssh3-project/ssh3/wire"
)

// unhex decodes a hex string that may contain spaces.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// byteReader adds ReadByte to a plain io.Reader without buffering, so that
// the wrapped reader's behaviour (one byte at a time, half reads) is what the
// ReadX functions see.
type byteReader struct{ io.Reader }

func (r byteReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(r.Reader, b[:]); err != nil {
		return 0, err // io.EOF when nothing was read
	}
	return b[0], nil
}

// readers returns the streams every ReadX test runs against, each holding a
// copy of data.
func readers(data []byte) map[string]wire.Reader {
	return map[string]wire.Reader{
		"bytes.Reader":     bytes.NewReader(data),
		"OneByteReader":    byteReader{iotest.OneByteReader(bytes.NewReader(data))},
		"HalfReader":       byteReader{iotest.HalfReader(bytes.NewReader(data))},
		"DataErrReader":    byteReader{iotest.DataErrReader(bytes.NewReader(data))},
		"bufio/OneByte":    bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 16),
		"bufio/DataErrRdr": bufio.NewReader(iotest.DataErrReader(bytes.NewReader(data))),
	}
}

// checkEnd asserts the error for input that stops after off bytes of a
// value: io.EOF itself (not wrapped) before the first byte, ErrTruncated
// (which is io.ErrUnexpectedEOF under errors.Is) after it.
func checkEnd(t testing.TB, off int, err error) {
	t.Helper()
	if off == 0 {
		if err != io.EOF {
			t.Errorf("empty input: err = %v, want io.EOF", err)
		}
		return
	}
	if !errors.Is(err, wire.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("prefix of %d bytes: err = %v, want ErrTruncated", off, err)
	}
}

// mustPanic runs f and returns the panic value as a string; it fails the
// test if f returns normally.
func mustPanic(t testing.TB, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Errorf("no panic")
			return
		}
		msg, _ = r.(string)
		if err, ok := r.(error); ok {
			msg = err.Error()
		}
	}()
	f()
	return ""
}
