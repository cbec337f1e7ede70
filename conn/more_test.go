package conn

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/frame"
)

// TestRetryAfterTooEarly: a 425 is retried once on a new CONNECT stream;
// channels opened before it end with ErrRetried (G13).
func TestRetryAfterTooEarly(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			var first atomic.Bool
			first.Store(true)
			// The 425 waits until the early channel has its stream: without
			// that, a fast 425 would be retried before OpenChannel and the
			// channel would open, correctly, on the new CONNECT.
			opened := make(chan struct{})
			srv := &Server{}
			srv.testTooEarly = func() bool {
				if !first.Swap(false) {
					return false
				}
				select {
				case <-opened:
				case <-time.After(10 * time.Second):
				}
				return true
			}
			h := startServer(t, srv)
			c := h.dial(p)
			early, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			close(opened)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = early.WriteData([]byte("exec"))
			if err := c.Established(ctxT(t)); err != nil {
				t.Fatalf("Established: %v", err)
			}
			if c.ID() != 8 { // 0 got the 425, 4 is the early channel
				t.Errorf("conversation %d after retry, want 8", c.ID())
			}
			if _, err := early.ReadMessage(); !errors.Is(err, ErrRetried) {
				t.Errorf("early channel: %v, want ErrRetried", err)
			}
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := readData(t, ch); s != "hello" {
				t.Fatal(s)
			}
		})
	}
}

// TestStalledHeader: a channel whose header never completes is reset when
// the header deadline passes, and other streams are served (X-ROB-21).
func TestStalledHeader(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{HeaderTimeout: 300 * time.Millisecond})
	rc := h.raw()
	_, conv := rc.connect(frame.Alpha)
	stalled := rc.openStream(header(frame.Alpha, conv, frame.ChannelSession, nil)[:3])
	good := h.dial(frame.Alpha)
	ch, err := good.OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := readData(t, ch); s != "hello" {
		t.Fatal(s)
	}
	wantCode(t, "stalled header", stalled, CodeRequestIncomplete)
}

// TestStalledRequestHeaders: an HTTP/3 HEADERS frame that never completes
// is refused when the header deadline passes, whether it stalls inside the
// frame header or inside the field section (the pre-check's short peek
// once cleared the deadline and the stream was held for ever).
func TestStalledRequestHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"frame type only", []byte{0x01}},
		{"inside the length", []byte{0x01, 0x40}},
		{"inside the field section", []byte{0x01, 0x40, 0x64, 0x00, 0x00}},
		{"longer than the pre-check reads", []byte{0x01, 0x80, 0x00, 0x4e, 0x20, 0x00, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			h := startServer(t, &Server{HeaderTimeout: 300 * time.Millisecond})
			rc := h.raw()
			stalled := rc.openStream(tc.b)
			c, err := streamCode(t, stalled)
			if err != nil {
				t.Fatalf("stalled HEADERS not refused: %v", err)
			}
			if c != CodeRequestIncomplete {
				t.Errorf("code %s, want %s", c, CodeRequestIncomplete)
			}
		})
	}
}

// TestConversationEndResetsChannels: a FIN on the CONNECT stream ends the
// conversation; its channels are reset with H3_REQUEST_CANCELLED, and a
// channel naming the closed conversation is refused (G10).
func TestConversationEndResetsChannels(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			hd, convs := serverConvs()
			h := startServer(t, &Server{Handler: hd})
			rc := h.raw()
			rs, conv := rc.connect(p)
			str := rc.openStream(append(header(p, conv, frame.ChannelSession, nil), dataMsg([]byte("x"))...))
			sc := <-convs
			var b [1]byte
			if _, err := str.Read(b[:]); err != nil { // the channel is running
				t.Fatal(err)
			}
			_ = rs.Close() // FIN on the CONNECT stream
			select {
			case <-sc.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("conversation survived the FIN")
			}
			if !errors.Is(sc.Err(), ErrConversationClosed) {
				t.Errorf("server Err %v", sc.Err())
			}
			wantCode(t, "channel of an ended conversation", str, CodeRequestCancelled)
			wantCode(t, "channel naming a closed conversation", rc.openStream(header(p, conv, frame.ChannelSession, nil)), CodeRequestRejected)
		})
	}
}

// TestDatagramFlood: datagrams beyond a channel's queue are dropped and
// counted, and the channel still works afterwards (X-ROB-29).
func TestDatagramFlood(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			release := make(chan struct{})
			accepted := make(chan *Channel, 1)
			h := startServer(t, &Server{Handler: HandlerFunc(func(c *Conversation) {
				ch, err := c.AcceptChannel(context.Background())
				if err != nil {
					return
				}
				_ = ch.Confirm()
				accepted <- ch
				<-release
				for {
					b, err := ch.ReceiveDatagram(context.Background())
					if err != nil {
						return
					}
					_ = ch.SendDatagram(b)
				}
			})})
			c := h.dial(p)
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelDirectUDP, udpTarget())
			if err != nil {
				t.Fatal(err)
			}
			_ = ch.Flush()
			sch := <-accepted
			for i := 0; i < 2000 && sch.DroppedDatagrams() == 0; i++ {
				_ = ch.SendDatagram([]byte("flood"))
				if i%100 == 99 {
					time.Sleep(time.Millisecond)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for sch.DroppedDatagrams() == 0 && time.Now().Before(deadline) {
				_ = ch.SendDatagram([]byte("flood"))
				time.Sleep(time.Millisecond)
			}
			if sch.DroppedDatagrams() == 0 {
				t.Fatal("no datagram dropped")
			}
			close(release)
			// drain the echoes of the queued ones, then check one more
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				_, err := ch.ReceiveDatagram(ctx)
				cancel()
				if err != nil {
					break
				}
			}
			for i := 0; ; i++ {
				_ = ch.SendDatagram([]byte("after"))
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				b, err := ch.ReceiveDatagram(ctx)
				cancel()
				if err == nil && string(b) == "after" {
					break
				}
				if i > 20 {
					t.Fatal("channel dead after the flood")
				}
			}
		})
	}
}

// TestImports: conn depends on frame, wire, quic-go and the standard
// library, never on the layers above (style #1).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"/auth", "/app", "/cmd", "/conformance"} {
			if strings.HasPrefix(dep, "github.com/ssh3-project/ssh3") && strings.Contains(dep, bad) {
				t.Errorf("conn imports %s", dep)
			}
		}
	}
}

// TestObservability: the TLS key log and the slog logger are used.
func TestObservability(t *testing.T) {
	checkLeaks(t)
	var logs, keys safeBuffer
	h := startServer(t, &Server{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	cfg := h.config(frame.RTH300)
	cfg.KeyLogWriter = &keys
	c, err := Dial(ctxT(t), h.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Established(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if !strings.Contains(keys.String(), "CLIENT_TRAFFIC_SECRET_0") {
		t.Error("no TLS key log")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "conversation ended") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "conversation established") || !strings.Contains(logs.String(), "conversation ended") {
		t.Errorf("logs: %s", logs.String())
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
