package conn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// TestDataBeforeConfirmation: an rth3-00 opener cuts data sent before the
// acceptor's 91 to the 256-byte floor, and to the announced maximum once
// the 91 is read (N3); an acceptor announcing 1024 takes all of it. A
// ssh3-alpha opener assumes 30000 throughout the open.
func TestDataBeforeConfirmation(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{MaxMessageSize: 1024})

	alpha, err := h.dial(frame.Alpha).OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := alpha.PeerMaxMessageSize(); got != frame.DefaultMaxMessageSize {
		t.Errorf("ssh3-alpha before 91: peer max %d, want %d", got, frame.DefaultMaxMessageSize)
	}

	c := h.dial(frame.RTH300)
	ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ch.PeerMaxMessageSize(); got != frame.MinMaxMessageSize {
		t.Errorf("rth3-00 before 91: peer max %d, want %d", got, frame.MinMaxMessageSize)
	}
	sent := bytes.Repeat([]byte("a"), 4000)
	if _, err := ch.WriteData(sent); err != nil {
		t.Fatal(err)
	}
	if got := readData(t, ch); got != "hello" {
		t.Fatalf("first data %q, want hello", got)
	}
	if got := ch.PeerMaxMessageSize(); got != 1024 {
		t.Errorf("rth3-00 after 91: peer max %d, want 1024", got)
	}
	if _, err := ch.WriteData(sent); err != nil { // now cut to 1024
		t.Fatal(err)
	}
	var echoed strings.Builder
	for echoed.Len() < 2*len(sent) {
		echoed.WriteString(readData(t, ch)) // a reset (0x107) fails here
	}
	if echoed.String() != strings.Repeat("a", 2*len(sent)) {
		t.Errorf("echo of %d bytes differs", 2*len(sent))
	}
}

// TestReferenceOversize: the reference's full data chunks are 3 bytes over
// the announced maximum (30,003 of 30,000). A ssh3-alpha channel takes them
// and nothing larger; an rth3-00 channel keeps to the maximum.
func TestReferenceOversize(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	for _, tc := range []struct {
		p       *frame.Profile
		payload int // 29997 makes a 30,003-byte message
		ok      bool
	}{
		{frame.Alpha, 29997, true},
		{frame.Alpha, 29998, false},
		{frame.RTH300, 29995, false},
	} {
		rc := h.raw()
		_, conv := rc.connect(tc.p)
		msg := dataMsg(bytes.Repeat([]byte{'r'}, tc.payload))
		str := rc.openStream(append(header(tc.p, conv, frame.ChannelSession, nil), msg...))
		what := fmt.Sprintf("%v, a %d-byte message", tc.p, len(msg))
		if !tc.ok {
			wantCode(t, what, str, CodeExcessiveLoad)
			continue
		}
		r := frame.NewReader(str, tc.p, frame.DefaultMaxMessageSize)
		var echoed int
		for echoed < tc.payload {
			m, err := r.ReadMessage()
			if err != nil {
				t.Fatalf("%s: after %d bytes echoed: %v", what, echoed, err)
			}
			if d, ok := m.(*frame.Data); ok && string(d.Data) != "hello" {
				echoed += len(d.Data)
			}
		}
		if echoed != tc.payload {
			t.Errorf("%s: %d bytes echoed, want %d", what, echoed, tc.payload)
		}
	}
}

// TestWriteExtendedData: stderr bytes are cut so that every message,
// data type included, fits the peer's maximum, and arrive whole and in
// order.
func TestWriteExtendedData(t *testing.T) {
	checkLeaks(t)
	type got struct {
		sizes []int
		data  []byte
	}
	result := make(chan got, 1)
	h := startServer(t, &Server{MaxMessageSize: 1024, Handler: HandlerFunc(func(c *Conversation) {
		ch, err := c.AcceptChannel(ctxT(t))
		if err != nil {
			return
		}
		_ = ch.Confirm()
		_, _ = ch.WriteData([]byte("ready"))
		var g got
		for len(g.data) < 5000 {
			m, err := ch.ReadMessage()
			if err != nil {
				break
			}
			if ed, ok := m.(*frame.ExtendedData); ok && ed.DataType == frame.ExtendedDataStderr {
				b, _ := ed.Append(nil, frame.RTH300)
				g.sizes = append(g.sizes, len(b))
				g.data = append(g.data, ed.Data...)
			}
		}
		result <- g
		<-c.Done()
	})})
	ch, err := h.dial(frame.RTH300).OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := readData(t, ch); s != "ready" { // after the 91: the maximum is now 1024
		t.Fatalf("first data %q", s)
	}
	sent := make([]byte, 5000)
	for i := range sent {
		sent[i] = byte(i)
	}
	if n, err := ch.WriteExtendedData(frame.ExtendedDataStderr, sent); err != nil || n != len(sent) {
		t.Fatalf("wrote %d: %v", n, err)
	}
	g := <-result
	if !bytes.Equal(g.data, sent) {
		t.Errorf("%d bytes arrived, not the %d sent", len(g.data), len(sent))
	}
	for _, s := range g.sizes {
		if s > 1024 {
			t.Errorf("a %d-byte message, over the announced 1024", s)
		}
	}
	if len(g.sizes) != 5 {
		t.Errorf("%d messages, want 5 full ones of 1024", len(g.sizes))
	}
}
