package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

// TestPipelining proves by order, not time, that the client does not wait
// for the 200: the authenticator blocks until the server has buffered the
// channel stream with its first request, which the client can only have
// sent before it read the 200. The channel must be held, not run, until
// authentication succeeds (G17).
func TestPipelining(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			early := make(chan struct{})
			var authDone atomic.Bool
			var bufferedBytes atomic.Int64
			got := make(chan string, 1)
			srv := &Server{
				Authenticator: &testAuth{hook: func(ctx context.Context, r *AuthRequest) error {
					select {
					case <-early:
					case <-time.After(10 * time.Second):
						return errors.New("no early channel")
					}
					authDone.Store(true)
					return nil
				}},
				Handler: HandlerFunc(func(c *Conversation) {
					if !authDone.Load() {
						t.Error("handler ran before authentication")
					}
					ch, err := c.AcceptChannel(context.Background())
					if err != nil {
						return
					}
					_ = ch.Confirm()
					m, err := ch.ReadMessage()
					if err != nil {
						got <- err.Error()
						return
					}
					if d, ok := m.(*frame.Data); ok {
						got <- string(d.Data)
					}
					_, _ = ch.WriteData([]byte("done"))
					<-c.Done()
				}),
			}
			srv.testOnBuffered = func(ch *Channel) {
				if authDone.Load() {
					t.Error("channel buffered after authentication")
				}
				bufferedBytes.Store(int64(ch.r.Buffered()))
				close(early)
			}
			h := startServer(t, srv)
			c := h.dial(p)
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ch.WriteData([]byte("exec")); err != nil {
				t.Fatal(err)
			}
			if err := c.Established(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != "exec" {
					t.Fatalf("first message %q", s)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("handler never got the channel")
			}
			if bufferedBytes.Load() == 0 {
				t.Error("the first request did not travel with the header")
			}
			if s := readData(t, ch); s != "done" {
				t.Fatal(s)
			}
		})
	}
}

func TestDatagrams(t *testing.T) {
	for _, p := range frame.Profiles() {
		for _, conv := range []uint64{0, 4} {
			t.Run(name(p), func(t *testing.T) {
				checkLeaks(t)
				h := startServer(t, &Server{})
				cfg := h.config(p)
				if conv == 4 {
					// A first request on stream 0 moves the CONNECT to stream 4,
					// as after the reference's version retry (§6.2).
					cfg.testPreConnect = func(cc *http3.RawClientConn) {
						rs, err := cc.OpenRequestStream(context.Background())
						if err != nil {
							t.Fatal(err)
						}
						req := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "localhost", Path: "/"}, Host: "localhost", Header: http.Header{}}
						if err := rs.SendRequestHeader(req); err != nil {
							t.Fatal(err)
						}
						_ = rs.Close()
					}
				}
				c, err := Dial(ctxT(t), h.addr, cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if c.ID() != conv {
					t.Fatalf("conversation %d, want %d", c.ID(), conv)
				}
				ch, err := c.OpenChannel(ctxT(t), frame.ChannelDirectUDP, udpTarget())
				if err != nil {
					t.Fatal(err)
				}
				if err := ch.Flush(); err != nil {
					t.Fatal(err)
				}
				if err := c.Established(ctxT(t)); err != nil {
					t.Fatal(err)
				}
				// The server may see datagrams before the channel: retry.
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				for i := 0; ; i++ {
					if err := ch.SendDatagram([]byte("ping")); err != nil {
						t.Fatal(err)
					}
					b, err := ch.ReceiveDatagram(ctx)
					cancel()
					if err == nil {
						if string(b) != "ping" {
							t.Fatalf("datagram %q", b)
						}
						break
					}
					if i > 20 {
						t.Fatal("no datagram echoed")
					}
					ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
				}
				if err := ch.SendDatagram(make([]byte, 4000)); !errors.Is(err, ErrDatagramTooLarge) {
					t.Errorf("oversized datagram: %v", err)
				}
				if s, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil); err != nil {
					t.Fatal(err)
				} else if err := s.SendDatagram([]byte("x")); !errors.Is(err, ErrNoDatagrams) {
					t.Errorf("datagram on a session channel: %v", err)
				}
			})
		}
	}
}

// TestNoEarlyChannelsWithoutSetting: toward a server whose SETTINGS do not
// say it holds early channels (the reference drops them), the client opens
// no channel before the 200; the authenticator holds the 200 until
// OpenChannel returns or a bound passes, and no stream is ever buffered.
// Toward a server that announces them, the same client pipelines
// (TestPipelining).
func TestNoEarlyChannelsWithoutSetting(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			opened := make(chan struct{})
			var authDone atomic.Bool
			srv := &Server{
				StockSettings: true,
				Authenticator: &testAuth{hook: func(ctx context.Context, r *AuthRequest) error {
					select {
					case <-opened:
						t.Error("OpenChannel returned before the 200")
					case <-time.After(300 * time.Millisecond):
					}
					authDone.Store(true)
					return nil
				}},
				Handler: HandlerFunc(echoHandler),
			}
			srv.testOnBuffered = func(*Channel) { t.Error("a channel arrived before its CONNECT was answered") }
			h := startServer(t, srv)
			c := h.dial(p)
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			close(opened)
			if err != nil {
				t.Fatal(err)
			}
			if !authDone.Load() {
				t.Error("OpenChannel returned before authentication ended")
			}
			if s := readData(t, ch); s != "hello" {
				t.Errorf("first data %q", s)
			}
		})
	}
}

// TestEarlyChannelCap: a client opens before the 200 no more channels than
// the server's SETTINGS say it holds (16 for ours); the rest wait for the
// 200, and none is refused. The authenticator holds the 200 until 16
// channels were buffered, and a bound more, to give a 17th the chance to
// arrive early.
func TestEarlyChannelCap(t *testing.T) {
	checkLeaks(t)
	var buffered atomic.Int64
	full := make(chan struct{})
	srv := &Server{
		Authenticator: &testAuth{hook: func(ctx context.Context, r *AuthRequest) error {
			select {
			case <-full:
			case <-time.After(10 * time.Second):
				return errors.New("the early channels never arrived")
			}
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			}
			return nil
		}},
		Handler: HandlerFunc(echoHandler),
	}
	srv.testOnBuffered = func(*Channel) {
		switch buffered.Add(1) {
		case maxBufferedPerConversation:
			close(full)
		case maxBufferedPerConversation + 1:
			t.Error("more channels arrived before the 200 than the server holds")
		}
	}
	h := startServer(t, srv)
	c := h.dial(frame.Alpha)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- echoOnce(c, fmt.Sprint(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := buffered.Load(); n != maxBufferedPerConversation {
		t.Errorf("%d channels buffered, want %d", n, maxBufferedPerConversation)
	}
}

// TestChannelsAfterTheOKHeld: channels the client opens on reading the 200
// can reach the server before it has registered the conversation. They are
// not early and do not count against the early cap: the server holds them
// until the conversation is registered, even with the 16 early slots full.
// The hook keeps the server between the 200 and the registration until
// four such channels have arrived.
func TestChannelsAfterTheOKHeld(t *testing.T) {
	checkLeaks(t)
	const after = 4
	var buffered, held atomic.Int64
	full := make(chan struct{})
	enough := make(chan struct{})
	srv := &Server{
		Authenticator: &testAuth{hook: func(ctx context.Context, r *AuthRequest) error {
			select {
			case <-full:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("the early channels never arrived")
			}
		}},
		Handler: HandlerFunc(echoHandler),
	}
	srv.testOnBuffered = func(*Channel) {
		if buffered.Add(1) == maxBufferedPerConversation {
			close(full)
		}
	}
	srv.testOnHeld = func(*Channel) {
		if held.Add(1) == after {
			close(enough)
		}
	}
	srv.testAnswered = func() {
		select {
		case <-enough:
		case <-time.After(10 * time.Second):
			t.Error("no channel arrived between the 200 and the registration")
		}
	}
	h := startServer(t, srv)
	c := h.dial(frame.Alpha)
	var wg sync.WaitGroup
	errs := make(chan error, maxBufferedPerConversation+after)
	for i := range maxBufferedPerConversation + after {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- echoOnce(c, fmt.Sprint(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := held.Load(); n != after {
		t.Errorf("%d channels held, want %d", n, after)
	}
}
