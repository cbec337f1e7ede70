package frame_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/frame"
)

// RFC 4254 §8 opcodes used below.
const (
	vintr       = 1
	echo        = 53
	ttyOpISpeed = 128
	ttyOpOSpeed = 129
)

func TestTerminalModes(t *testing.T) {
	cases := []struct {
		name  string
		blob  string
		modes frame.TerminalModes
		canon bool // Append gives the blob back
	}{
		{"empty", ``, nil, false},
		{"end-only", `00`, nil, true},
		{"vintr-echo-speeds", `01 00 00 00 03 35 00 00 00 01 80 00 00 96 00 81 00 00 96 00 00`,
			frame.TerminalModes{{vintr, 3}, {echo, 1}, {ttyOpISpeed, 38400}, {ttyOpOSpeed, 38400}}, true},
		{"no-end", `01 00 00 00 03`, frame.TerminalModes{{vintr, 3}}, false},
		{"stops-at-end", `35 00 00 00 00 00 01 00 00 00 03 00`, frame.TerminalModes{{echo, 0}}, false},
		{"stops-at-160", `35 00 00 00 01 a0 00 00 00 01 01 00 00 00 03 00`, frame.TerminalModes{{echo, 1}}, false},
		{"stops-at-255", `ff 01`, nil, false},
		{"159-is-defined", `9f ff ff ff ff 00`, frame.TerminalModes{{159, 0xffffffff}}, true},
	}
	for _, c := range cases {
		m, err := frame.ParseTerminalModes(wireBytes(c.blob))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if diff := cmp.Diff(c.modes, m, cmpOpts...); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", c.name, diff)
		}
		if enc := m.Append(nil); c.canon && !bytes.Equal(enc, wireBytes(c.blob)) {
			t.Errorf("%s: Append = % x", c.name, enc)
		}
		// Whatever was decoded re-encodes canonically and decodes the same.
		again, err := frame.ParseTerminalModes(m.Append([]byte{}))
		if err != nil || !cmp.Equal(m, again, cmpOpts...) {
			t.Errorf("%s: round trip %v, %v", c.name, again, err)
		}
	}
	for _, bad := range []string{`01`, `01 00 00 00`, `35 00 00 00 01 01 00`, `80 00 00 96`} {
		noPanic(t, bad, func() {
			m, err := frame.ParseTerminalModes(wireBytes(bad))
			var fe *frame.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) || m != nil {
				t.Errorf("%q: %v, %v; want a truncation", bad, m, err)
			}
		})
	}
	if got := (frame.TerminalModes{}).Append([]byte{9}); !bytes.Equal(got, []byte{9, 0}) {
		t.Errorf("empty Append = % x", got)
	}
}

// TestPtyReqTerminalModes: the modes blob of a pty-req is carried as an
// opaque string (G16) and decodes through PtyReq.TerminalModes.
func TestPtyReqTerminalModes(t *testing.T) {
	modes := frame.TerminalModes{{vintr, 3}, {echo, 1}}
	m := &frame.PtyReq{Term: "xterm", Columns: 80, Rows: 24, Modes: modes.Append(nil)}
	b, err := m.Append(nil, frame.Alpha)
	if err != nil {
		t.Fatal(err)
	}
	dec, _, err := frame.ParseMessage(b, frame.Alpha, testMax)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dec.(*frame.PtyReq).TerminalModes()
	if err != nil || !cmp.Equal(got, modes) {
		t.Errorf("TerminalModes = %v, %v", got, err)
	}
	// The reference sends the modes empty.
	if got, err := (&frame.PtyReq{}).TerminalModes(); err != nil || len(got) != 0 {
		t.Errorf("empty modes = %v, %v", got, err)
	}
}
