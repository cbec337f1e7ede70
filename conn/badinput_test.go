package conn

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// connect performs a successful CONNECT on the raw client.
func (rc *rawClient) connect(p *frame.Profile) (*http3.RequestStream, uint64) {
	rc.t.Helper()
	rs := rc.send(connectReq(p, "Bearer good"))
	_ = rs.SetReadDeadline(time.Now().Add(5 * time.Second))
	rsp, err := rs.ReadResponse()
	if err != nil || rsp.StatusCode != 200 {
		rc.t.Fatalf("CONNECT: %v %v", rsp, err)
	}
	_ = rs.SetReadDeadline(time.Time{})
	return rs, uint64(rs.StreamID())
}

func dataMsg(payload []byte) []byte {
	b, _ := (&frame.Data{Data: payload}).Append(nil, frame.Alpha)
	return b
}

func wantCode(t *testing.T, what string, str *quic.Stream, want Code) {
	t.Helper()
	got, err := streamCode(t, str)
	if err != nil {
		t.Errorf("%s: %v, want reset %s", what, err, want)
	} else if got != want {
		t.Errorf("%s: reset %s, want %s", what, got, want)
	}
}

func TestBadChannels(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			h := startServer(t, &Server{})
			good := h.dial(p)
			gch, err := good.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := readData(t, gch); s != "hello" {
				t.Fatal(s)
			}
			rc := h.raw()
			_, conv := rc.connect(p)
			other := frame.RTH300
			if p == frame.RTH300 {
				other = frame.Alpha
			}
			full := header(p, conv, frame.ChannelSession, nil)

			wantCode(t, "truncated header", func() *quic.Stream {
				s := rc.openStream(full[:len(full)-3])
				_ = s.Close()
				return s
			}(), CodeMessageError)
			wantCode(t, "other profile's signal", rc.openStream(header(other, conv, frame.ChannelSession, nil)), CodeMessageError)
			huge := wire.AppendVarint(wire.AppendVarint(wire.AppendVarintLen(nil, p.Signal(), 8), conv), 1<<30)
			wantCode(t, "type length 2^30", rc.openStream(huge), CodeMessageError)
			// A maximum message size below the 256 floor (P-N3-2).
			small := frame.ChannelHeader{Conversation: conv, Type: frame.ChannelSession, MaxMessageSize: frame.MinMaxMessageSize - 1}
			if b, err := small.Append(nil, p); err == nil {
				wantCode(t, "max message size 255", rc.openStream(b), CodeMessageError)
			} else {
				t.Errorf("encoding a header with max 255: %v", err)
			}
			wantCode(t, "unknown conversation", rc.openStream(header(p, 400, frame.ChannelSession, nil)), CodeRequestRejected)
			wantCode(t, "channel naming a channel", rc.openStream(header(p, 4, frame.ChannelSession, nil)), CodeRequestRejected)

			// Another connection's conversation (X-ROB-8).
			rc2 := h.raw()
			wantCode(t, "foreign conversation", rc2.openStream(header(p, good.ID(), frame.ChannelSession, nil)), CodeRequestRejected)

			// Over-size message: this channel only (X-ROB-22).
			big := append(header(p, conv, frame.ChannelSession, nil), dataMsg(make([]byte, 40000))...)
			wantCode(t, "over-size message", rc.openStream(big), CodeExcessiveLoad)

			// Garbage first varint goes to http3, which refuses the stream.
			g := rc.openStream([]byte{0x21, 0x03, 'a', 'b', 'c'})
			_ = g.Close()
			wantCode(t, "garbage first varint", g, CodeRequestIncomplete)

			// Unknown channel type: OPEN_FAILURE reason 3 (X-ROB-26).
			x, err := good.OpenChannel(ctxT(t), "x-probe", nil)
			if err != nil {
				t.Fatal(err)
			}
			var oe *OpenError
			if _, err := x.ReadMessage(); !errors.As(err, &oe) || oe.Reason != frame.ReasonUnknownChannelType {
				t.Errorf("unknown type: %v", err)
			}

			// The good conversation still works.
			if _, err := gch.WriteData([]byte("alive")); err != nil {
				t.Fatal(err)
			}
			if s := readData(t, gch); s != "alive" {
				t.Fatal(s)
			}
		})
	}
}

func TestDatagramErrors(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			convs := make(chan *Conversation, 1)
			h := startServer(t, &Server{Handler: HandlerFunc(func(c *Conversation) {
				convs <- c
				echoHandler(c)
			})})
			rc := h.raw()
			rc.connect(p)
			sc := <-convs
			if p.DatagramsNameConversation() {
				// alpha: unknown channel and garbage are dropped and counted.
				for i, dg := range [][]byte{{0x00, 0x3c, 'x'}, {0x08, 0x04, 'y'}, {0x40}, {}} {
					before := sc.DroppedDatagrams()
					deadline := time.Now().Add(5 * time.Second)
					for sc.DroppedDatagrams() == before {
						if err := rc.qc.SendDatagram(dg); err != nil {
							t.Fatal(err)
						}
						if time.Now().After(deadline) {
							t.Fatalf("datagram %d not counted as dropped", i)
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
				if rc.qc.Context().Err() != nil {
					t.Fatal("alpha garbage closed the connection")
				}
				return
			}
			// rth3-00: a QSID over 2^60-1 closes the connection with H3_DATAGRAM_ERROR.
			if err := rc.qc.SendDatagram([]byte{0xd0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-rc.qc.Context().Done():
			case <-time.After(5 * time.Second):
				t.Fatal("connection not closed")
			}
			var ae *quic.ApplicationError
			if err := context.Cause(rc.qc.Context()); !errors.As(err, &ae) || Code(ae.ErrorCode) != CodeDatagramError {
				t.Fatalf("close cause %v, want H3_DATAGRAM_ERROR", err)
			}
			if !errors.Is(sc.Err(), ErrConnectionLost) {
				// the server conversation ends with the connection
				select {
				case <-sc.Done():
				case <-time.After(5 * time.Second):
					t.Fatal("server conversation survived")
				}
			}
			// An empty datagram does the same.
			rc2 := h.raw()
			rc2.connect(p)
			<-convs
			_ = rc2.qc.SendDatagram([]byte{})
			select {
			case <-rc2.qc.Context().Done():
			case <-time.After(5 * time.Second):
				t.Fatal("empty datagram: connection not closed")
			}
		})
	}
}

// TestEarlyStreamFlood: at most 16 early streams per pending CONNECT and 4
// pending CONNECTs are held; the rest are refused at once, and a failed
// CONNECT frees its streams at once (G17).
func TestEarlyStreamFlood(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			release := make(chan struct{})
			var once sync.Once
			defer once.Do(func() { close(release) })
			var buffered atomic.Int32
			srv := &Server{
				MaxConversationsPerConn: 8,
				Authenticator: &testAuth{hook: func(ctx context.Context, r *AuthRequest) error {
					<-release
					return errors.New("refused")
				}},
			}
			srv.testOnBuffered = func(*Channel) { buffered.Add(1) }
			srv.EarlyStreamTimeout = time.Minute
			h := startServer(t, srv)
			rc := h.raw()
			var convIDs []uint64
			for i := 0; i < 5; i++ {
				convIDs = append(convIDs, uint64(rc.send(connectReq(p, "Bearer good")).StreamID()))
			}
			codes := make(chan Code, 32)
			watch := func(s *quic.Stream) {
				go func() {
					c, err := streamCode(t, s)
					if err != nil {
						c = 0
					}
					codes <- c
				}()
			}
			for i := 0; i < 20; i++ {
				watch(rc.openStream(append(header(p, convIDs[0], frame.ChannelSession, nil), dataMsg([]byte("exec"))...)))
			}
			for _, id := range convIDs[1:] {
				watch(rc.openStream(header(p, id, frame.ChannelSession, nil)))
			}
			// While the CONNECTs are pending, exactly the 4 streams over the
			// per-conversation cap and the one naming a fifth pending
			// conversation are refused; the other 19 are held.
			for i := 0; i < 5; i++ {
				if c := <-codes; c != CodeRequestRejected {
					t.Fatalf("refusal %d: code %s", i, c)
				}
			}
			if n := buffered.Load(); n != 16+3 {
				t.Errorf("%d streams buffered, want 19", n)
			}
			once.Do(func() { close(release) })
			for i := 0; i < 19; i++ {
				if c := <-codes; c != CodeRequestRejected {
					t.Errorf("buffered stream of a refused CONNECT: code %s", c)
				}
			}
		})
	}
}
