package frame_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/frame"
)

type datagramCase struct {
	name string
	p    *frame.Profile
	d    frame.Datagram
	wire string
}

// datagramCases are the examples of §3.7.
func datagramCases() []datagramCase {
	ping := []byte("ping")
	return []datagramCase{
		{"conv0-ch4", frame.Alpha, frame.Datagram{Conversation: 0, Channel: 4, Payload: ping}, `00 04 70 69 6e 67`},
		{"conv4-ch8", frame.Alpha, frame.Datagram{Conversation: 4, Channel: 8, Payload: ping}, `04 08 70 69 6e 67`},
		{"empty-payload", frame.Alpha, frame.Datagram{Conversation: 0, Channel: 8}, `00 08`},
		{"big-ids", frame.Alpha, frame.Datagram{Conversation: 64, Channel: 1<<62 - 1, Payload: []byte{0}},
			`40 40 ff ff ff ff ff ff ff ff 00`},
		{"ch4", frame.RTH300, frame.Datagram{Channel: 4, Payload: ping}, `01 70 69 6e 67`},
		{"ch8", frame.RTH300, frame.Datagram{Channel: 8, Payload: ping}, `02 70 69 6e 67`},
		{"ch0-empty", frame.RTH300, frame.Datagram{Channel: 0}, `00`},
		{"ch256", frame.RTH300, frame.Datagram{Channel: 256, Payload: []byte("x")}, `40 40 78`},
		{"max-qsid", frame.RTH300, frame.Datagram{Channel: (1<<60 - 1) * 4}, `cf ff ff ff ff ff ff ff`},
	}
}

func TestDatagrams(t *testing.T) {
	for _, c := range datagramCases() {
		t.Run(c.p.Name()+"/"+c.name, func(t *testing.T) {
			want := wireBytes(c.wire)
			got, err := c.p.AppendDatagram([]byte{7}, c.d)
			if err != nil {
				t.Fatalf("AppendDatagram: %v", err)
			}
			if !bytes.Equal(got[1:], want) || got[0] != 7 {
				t.Errorf("AppendDatagram = % x, want % x", got[1:], want)
			}
			if o := c.p.DatagramOverhead(c.d.Conversation, c.d.Channel); o != len(want)-len(c.d.Payload) {
				t.Errorf("DatagramOverhead = %d, want %d", o, len(want)-len(c.d.Payload))
			}
			dec, err := c.p.ParseDatagram(want)
			if err != nil {
				t.Fatalf("ParseDatagram: %v", err)
			}
			if diff := cmp.Diff(c.d, dec, cmpOpts...); diff != "" {
				t.Errorf("round trip (-sent +decoded):\n%s", diff)
			}
			overhead := len(want) - len(c.d.Payload)
			for i := 0; i < overhead; i++ {
				noPanic(t, "ParseDatagram", func() {
					_, err := c.p.ParseDatagram(want[:i])
					if !errors.Is(err, frame.ErrDatagram) || !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Errorf("prefix %d: err = %v, want ErrDatagram and io.ErrUnexpectedEOF", i, err)
					}
				})
			}
		})
	}
}

// TestDatagramsCONNECTQSIDNote: for conversation 0 the alpha layout and the
// CONNECT-QSID variant are the same bytes (§3.7); the rth3-00 layout ignores
// the conversation on encode.
func TestDatagramConversationIgnoredInRTH(t *testing.T) {
	a, err := frame.RTH300.AppendDatagram(nil, frame.Datagram{Conversation: 4, Channel: 8, Payload: []byte("ping")})
	if err != nil || !bytes.Equal(a, wireBytes(`02 "ping"`)) {
		t.Errorf("rth3-00 datagram with a conversation = % x, %v", a, err)
	}
	if o := frame.RTH300.DatagramOverhead(4, 8); o != 1 {
		t.Errorf("rth3-00 overhead = %d", o)
	}
}

func TestBadDatagrams(t *testing.T) {
	for _, c := range []struct {
		p    *frame.Profile
		wire string
	}{
		{frame.RTH300, `d0 00 00 00 00 00 00 00`},       // QSID 2^60
		{frame.RTH300, `ff ff ff ff ff ff ff ff 01 02`}, // QSID 2^62-1
		{frame.RTH300, ``},
		{frame.RTH300, `40`},
		{frame.Alpha, ``},
		{frame.Alpha, `00`},
		{frame.Alpha, `04 80 00`},
		{frame.Alpha, `c0 00`},
	} {
		noPanic(t, "ParseDatagram", func() {
			d, err := c.p.ParseDatagram(wireBytes(c.wire))
			if !errors.Is(err, frame.ErrDatagram) {
				t.Errorf("%v %q: %+v, %v; want ErrDatagram", c.p, c.wire, d, err)
			}
			if err != nil && err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
	for _, c := range []struct {
		p *frame.Profile
		d frame.Datagram
	}{
		{frame.RTH300, frame.Datagram{Channel: 6}},       // not client bidi
		{frame.RTH300, frame.Datagram{Channel: 1}},       // server bidi... any non multiple of 4
		{frame.RTH300, frame.Datagram{Channel: 1 << 62}}, // QSID 2^60
		{frame.RTH300, frame.Datagram{Channel: 1<<64 - 4}},
		{frame.Alpha, frame.Datagram{Conversation: 1 << 62}},
		{frame.Alpha, frame.Datagram{Channel: 1 << 63}},
	} {
		noPanic(t, "AppendDatagram", func() {
			got, err := c.p.AppendDatagram([]byte{1}, c.d)
			var ve *frame.ValueError
			if !errors.As(err, &ve) || !bytes.Equal(got, []byte{1}) {
				t.Errorf("%v %+v: % x, %v; want *ValueError and nothing written", c.p, c.d, got, err)
			}
			_ = c.p.DatagramOverhead(c.d.Conversation, c.d.Channel)
		})
	}
}
