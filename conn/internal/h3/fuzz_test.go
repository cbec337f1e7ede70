package h3

import (
	"bytes"
	"testing"
)

// FuzzDecodePseudo: the QPACK peek never panics on any header block.
func FuzzDecodePseudo(f *testing.F) {
	f.Add([]byte{0x00, 0x00, 0xc0 | 15, 0xc0 | 22, 0x51, 0x02, '/', 'x'})
	f.Add([]byte{0x00, 0x00, 0x27, 0x02, ':', 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l', 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodePseudo(b)
	})
}

// FuzzControlStream: the control-stream parser never panics and always
// ends with a connection error.
func FuzzControlStream(f *testing.F) {
	f.Add(settingsFrame(0x06, 32768, 0x33, 1, 0x08, 1))
	f.Add([]byte{0x04, 0x02, 0x33, 0x01})
	f.Add(append(settingsFrame(), rawFrame(frameGoAway, []byte{0x08})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewControl()
		if err := c.Read(bytes.NewReader(b), true); err == nil {
			t.Fatal("control stream ended without an error")
		}
	})
}
