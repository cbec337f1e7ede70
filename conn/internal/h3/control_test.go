package h3

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quic-go/qpack"
	"github.com/quic-go/quic-go/quicvarint"
)

func settingsFrame(pairs ...uint64) []byte {
	var p []byte
	for _, v := range pairs {
		p = quicvarint.Append(p, v)
	}
	return append(quicvarint.Append([]byte{frameSettings}, uint64(len(p))), p...)
}

func rawFrame(typ uint64, payload []byte) []byte {
	b := quicvarint.Append(quicvarint.Append(nil, typ), uint64(len(payload)))
	return append(b, payload...)
}

func TestControlStream(t *testing.T) {
	goAway := rawFrame(frameGoAway, quicvarint.Append(nil, 8))
	cases := []struct {
		name     string
		in       []byte
		dgrams   bool
		want     uint64
		settings bool
	}{
		{"quic-go server", settingsFrame(0x06, 32768, 0x33, 1, 0x08, 1), true, codeClosedCriticalStream, true},
		{"reference server", []byte{0x04, 0x02, 0x33, 0x01}, true, codeClosedCriticalStream, true},
		{"early channels", settingsFrame(0x06, 32768, 0x33, 1, 0x08, 1, SettingEarlyChannels, 1), true, codeClosedCriticalStream, true},
		{"empty", nil, true, codeClosedCriticalStream, false},
		{"truncated", []byte{0x04, 0x05, 0x33}, true, codeClosedCriticalStream, false},
		{"first frame not SETTINGS", rawFrame(frameGoAway, []byte{0}), true, codeMissingSettings, false},
		{"duplicate", settingsFrame(0x33, 1, 0x33, 1), true, codeSettingsError, false},
		{"reserved HTTP/2 setting", settingsFrame(0x02, 1), true, codeSettingsError, false},
		{"datagram 2", settingsFrame(0x33, 2), true, codeSettingsError, false},
		{"connect 2", settingsFrame(0x08, 2), true, codeSettingsError, false},
		{"datagram without transport parameter", settingsFrame(0x33, 1), false, codeSettingsError, false},
		{"second SETTINGS", append(settingsFrame(0x33, 1), settingsFrame()...), true, codeFrameUnexpected, true},
		{"DATA on control", append(settingsFrame(), rawFrame(frameData, []byte("x"))...), true, codeFrameUnexpected, true},
		{"HEADERS on control", append(settingsFrame(), rawFrame(FrameHeaders, []byte("x"))...), true, codeFrameUnexpected, true},
		{"HTTP/2 frame type", append(settingsFrame(), rawFrame(0x06, nil)...), true, codeFrameUnexpected, true},
		{"unknown frames skipped, GOAWAY parsed", append(append(settingsFrame(), rawFrame(0x21, []byte("grease"))...), goAway...), true, codeClosedCriticalStream, true},
		{"bad GOAWAY", append(settingsFrame(), rawFrame(frameGoAway, []byte{0x40})...), true, codeFrameError, true},
		{"huge SETTINGS", rawFrame(frameSettings, make([]byte, maxControlFrame+1)), true, codeExcessiveLoad, false},
	}
	for _, tc := range cases {
		c := NewControl()
		err := c.Read(bytes.NewReader(tc.in), tc.dgrams)
		if err == nil || err.Code != tc.want {
			t.Errorf("%s: %v, want %#x", tc.name, err, tc.want)
		}
		select {
		case <-c.received:
			if !tc.settings {
				t.Errorf("%s: settings accepted", tc.name)
			}
		default:
			if tc.settings {
				t.Errorf("%s: settings not signalled", tc.name)
			}
		}
	}
	c := NewControl()
	c.Read(bytes.NewReader(settingsFrame(0x06, 32768, 0x33, 1, 0x08, 1)), true)
	if !c.settings.ExtendedConnect || !c.settings.Datagrams || c.settings.EarlyChannels != 0 || c.settings.Other[0x06] != 32768 {
		t.Errorf("parsed %+v", c.settings)
	}
	for _, v := range []uint64{0, 1, 16, 1 << 40} {
		c = NewControl()
		c.Read(bytes.NewReader(settingsFrame(SettingEarlyChannels, v)), true)
		if c.settings.EarlyChannels != v {
			t.Errorf("early channels = %d parsed as %d", v, c.settings.EarlyChannels)
		}
	}
	c = NewControl()
	c.Read(bytes.NewReader(append(settingsFrame(), goAway...)), true)
	select {
	case <-c.goAway:
	default:
		t.Error("GOAWAY not signalled")
	}
}

func TestDecodePseudo(t *testing.T) {
	// :method CONNECT (15), :scheme http (22), :path literal "/x" with name
	// ref 1, :protocol literal name, Huffman-free.
	b := []byte{0x00, 0x00, 0xc0 | 15, 0xc0 | 22, 0x51, 0x02, '/', 'x', 0x27, 0x02, ':', 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l', 0x04, 's', 's', 'h', '3'}
	m, err := decodePseudo(b)
	if err != nil {
		t.Fatal(err)
	}
	if m[":method"] != "CONNECT" || m[":scheme"] != "http" || m[":path"] != "/x" || m[":protocol"] != "ssh3" {
		t.Fatalf("%v", m)
	}
	for i := range b {
		_, _ = decodePseudo(b[:i]) // never panics on a prefix
	}
	if _, err := decodePseudo([]byte{0x01, 0x00}); err == nil {
		t.Error("dynamic table reference accepted")
	}
}

// TestBadRequestFrame: the 400 is a HEADERS frame of the static :status 400
// (index 67) and, for ssh3-alpha, the server header.
func TestBadRequestFrame(t *testing.T) {
	if got, want := BadRequestFrame(""), []byte{0x01, 0x04, 0x00, 0x00, 0xff, 0x04}; !bytes.Equal(got, want) {
		t.Errorf("BadRequestFrame(\"\") = % x, want % x", got, want)
	}
	f := BadRequestFrame("ssh3-project/1.0")
	if f[0] != FrameHeaders || int(f[1]) != len(f)-2 {
		t.Fatalf("not one HEADERS frame: % x", f)
	}
	next := qpack.NewDecoder().Decode(f[2:])
	var fields []qpack.HeaderField
	for {
		hf, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, hf)
	}
	want := []qpack.HeaderField{{Name: ":status", Value: "400"}, {Name: "server", Value: "ssh3-project/1.0"}}
	if d := cmp.Diff(want, fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}
