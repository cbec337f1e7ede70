package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// serverConvs is a handler that publishes its conversations and keeps them
// until they end.
func serverConvs() (Handler, chan *Conversation) {
	ch := make(chan *Conversation, 16)
	return HandlerFunc(func(c *Conversation) {
		ch <- c
		echoHandler(c)
	}), ch
}

func TestServerClosesConversation(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			hd, convs := serverConvs()
			h := startServer(t, &Server{Handler: hd})
			c := h.dial(p)
			ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			readData(t, ch)
			sc := <-convs
			if sc.Identity().User != "alice" {
				t.Errorf("identity %+v", sc.Identity())
			}
			_ = sc.Close()
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("client conversation did not end on the server's FIN")
			}
			if !errors.Is(c.Err(), ErrConversationClosed) {
				t.Errorf("client Err %v", c.Err())
			}
			if _, err := ch.ReadMessage(); err == nil {
				t.Error("channel survived its conversation")
			}
		})
	}
}

func TestClientCloseEndsServerConversation(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			hd, convs := serverConvs()
			h := startServer(t, &Server{Handler: hd})
			c := h.dial(p)
			if err := c.Established(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			sc := <-convs
			_ = c.Close()
			select {
			case <-sc.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("server conversation did not end")
			}
			err := sc.Err()
			var e *Error
			if !errors.Is(err, ErrConversationClosed) && !(errors.As(err, &e) && e.Code == CodeNoError && e.Remote) {
				t.Errorf("server Err %v", err)
			}
		})
	}
}

func TestConnectionLost(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	c := h.dial(frame.Alpha)
	ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	readData(t, ch)
	_ = h.srv.Close()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("conversation survived the connection")
	}
	if !errors.Is(c.Err(), ErrConnectionLost) {
		t.Fatalf("Err %v, want ErrConnectionLost", c.Err())
	}
	want := &Error{Code: CodeNoError, Remote: true}
	if !errors.Is(c.Err(), want) {
		t.Errorf("Err %v, want remote H3_NO_ERROR", c.Err())
	}
	if _, err := ch.ReadMessage(); !errors.Is(err, ErrConnectionLost) {
		t.Errorf("channel read %v", err)
	}
}

func TestShutdown(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	c := h.dial(frame.RTH300)
	if err := c.Established(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("conversation survived Shutdown")
	}
	short, cancelShort := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelShort()
	if _, err := Dial(short, h.addr, h.config(frame.Alpha)); err == nil {
		t.Error("Dial after Shutdown succeeded")
	}
}

func TestConversationCap(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{MaxConversationsPerConn: 2})
	rc := h.raw()
	rc.connect(frame.Alpha)
	rc.connect(frame.Alpha)
	rsp, _, err := rc.do(connectReq(frame.Alpha, "Bearer good"))
	if err != nil || rsp.StatusCode != 429 {
		t.Fatalf("third CONNECT: %v %v, want 429", rsp, err)
	}
	// The other profile on the same connection is refused: the datagram
	// layouts cannot share a connection.
	rc2 := h.raw()
	rc2.connect(frame.RTH300)
	rsp, _, err = rc2.do(connectReq(frame.Alpha, "Bearer good"))
	if err != nil || rsp.StatusCode != 400 {
		t.Fatalf("mixed profiles: %v %v, want 400", rsp, err)
	}
}

func TestChannelCap(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{MaxChannels: 2, Handler: HandlerFunc(func(c *Conversation) { <-c.Done() })})
	c := h.dial(frame.Alpha)
	var chans []*Channel
	for i := 0; i < 3; i++ {
		ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Flush(); err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	// Streams arrive in any order: whichever came third is refused.
	results := make(chan error, 3)
	for _, ch := range chans {
		go func() {
			_, err := ch.ReadMessage()
			results <- err
		}()
	}
	var oe *OpenError
	if err := <-results; !errors.As(err, &oe) || oe.Reason != frame.ReasonResourceShortage {
		t.Fatalf("first answer: %v, want OPEN_FAILURE reason 4", err)
	}
	_ = c.Close()
	for i := 0; i < 2; i++ {
		<-results
	}
}

// TestManyChannels runs 1,000 channels on one conversation, 50 at a time.
func TestManyChannels(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	c := h.dial(frame.RTH300)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	sem := make(chan struct{}, 50)
	for i := 0; i < 1000; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- echoOnce(c, fmt.Sprint(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func echoOnce(c *Conversation, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	if _, err := ch.WriteData([]byte(msg)); err != nil {
		return err
	}
	var got []string
	for len(got) < 2 {
		m, err := ch.ReadMessage()
		if err != nil {
			return err
		}
		if d, ok := m.(*frame.Data); ok {
			got = append(got, string(d.Data))
		}
	}
	if got[0] != "hello" || got[1] != msg {
		return fmt.Errorf("got %q", got)
	}
	return nil
}

// TestManyConversations runs 200 conversations (one per connection) on one
// server, 20 at a time.
func TestManyConversations(t *testing.T) {
	checkLeaks(t)
	// 20 connections authenticate at once: above sshd's default start of
	// 10, which would refuse some (TestMaxStartups covers that).
	h := startServer(t, &Server{MaxStartups: Startups{Start: 32, Rate: 100, Full: 32}})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	sem := make(chan struct{}, 20)
	for i := 0; i < 200; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p := frame.Profiles()[i%2]
			c, err := Dial(context.Background(), h.addr, h.config(p))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			errs <- echoOnce(c, fmt.Sprint(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestChunking: WriteData keeps every message within the peer's maximum.
func TestChunking(t *testing.T) {
	checkLeaks(t)
	got := make(chan []int, 1)
	h := startServer(t, &Server{MaxMessageSize: 1024, Handler: HandlerFunc(func(c *Conversation) {
		ch, err := c.AcceptChannel(context.Background())
		if err != nil {
			return
		}
		_ = ch.Confirm()
		var sizes []int
		total := 0
		for total < 100000 {
			m, err := ch.ReadMessage()
			if err != nil {
				break
			}
			d := m.(*frame.Data)
			sizes = append(sizes, m.Len(frame.Alpha))
			total += len(d.Data)
		}
		got <- sizes
		_, _ = ch.WriteData(bytes.Repeat([]byte("y"), 50000))
		_ = ch.CloseWrite()
		<-c.Done()
	})})
	c := h.dial(frame.Alpha)
	cfgMax := frame.DefaultMaxMessageSize
	_ = cfgMax
	ch, err := c.OpenChannel(ctxT(t), frame.ChannelSession, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Read the confirmation first so the peer's 1024 is known.
	if err := ch.Flush(); err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		n := 0
		for {
			m, err := ch.ReadMessage()
			if err != nil {
				done <- n
				return
			}
			n += len(m.(*frame.Data).Data)
		}
	}()
	for ch.PeerMaxMessageSize() != 1024 {
		time.Sleep(time.Millisecond)
	}
	if _, err := ch.WriteData(bytes.Repeat([]byte("x"), 100000)); err != nil {
		t.Fatal(err)
	}
	for _, s := range <-got {
		if s > 1024 {
			t.Fatalf("message of %d bytes over the peer's 1024", s)
		}
	}
	if n := <-done; n != 50000 {
		t.Errorf("read %d bytes back", n)
	}
}

// TestRawTCPChannel: rth3-00 direct-tcp carries raw bytes, no confirmation.
func TestRawTCPChannel(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	c := h.dial(frame.RTH300)
	a := frame.IPAddress(mustAddrPort("127.0.0.1:22"))
	ch, err := c.OpenChannel(ctxT(t), frame.ChannelDirectTCP, &a)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Raw() {
		t.Fatal("direct-tcp in rth3-00 is not raw")
	}
	if _, err := ch.Write([]byte("raw bytes")); err != nil {
		t.Fatal(err)
	}
	_ = ch.CloseWrite()
	b, err := io.ReadAll(rawReader{ch})
	if err != nil || string(b) != "raw bytes" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := ch.ReadMessage(); !errors.Is(err, ErrRawChannel) {
		t.Errorf("ReadMessage on raw channel: %v", err)
	}
}

// TestAgentChannels: an ssh3-alpha server opens agent-connection channels
// that the client accepts; rth3-00 forbids them on both sides.
func TestAgentChannels(t *testing.T) {
	checkLeaks(t)
	hd, convs := serverConvs()
	h := startServer(t, &Server{Handler: hd})
	c := h.dial(frame.Alpha)
	if err := c.Established(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sc := <-convs
	sch, err := sc.OpenChannel(ctxT(t), frame.ChannelAgentConnection, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.WriteMessage(&frame.Data{Data: []byte("agent")}); err != nil {
		t.Fatal(err)
	}
	cch, err := c.AcceptChannel(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if cch.Type() != frame.ChannelAgentConnection {
		t.Fatal(cch.Type())
	}
	_ = cch.Confirm()
	if s := readData(t, cch); s != "agent" {
		t.Fatal(s)
	}
	if _, err := cch.WriteData([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	if s := readData(t, sch); s != "reply" {
		t.Fatal(s)
	}
	// A server-opened channel naming another conversation is refused.
	foreign, err := sc.cs.qc.OpenStreamSync(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = foreign.Write(header(frame.Alpha, c.ID()+400, frame.ChannelAgentConnection, nil))
	wantCode(t, "server-opened channel of another conversation", foreign, CodeRequestRejected)

	// rth3-00: the server may not open channels, and a client treats a
	// server-opened bidi stream as H3_STREAM_CREATION_ERROR.
	// (The default rth3-00 client allows no server-opened streams at all;
	// allow some so that the stream reaches the client's bidi loop.)
	cfg := h.config(frame.RTH300)
	cfg.QUICConfig = &quic.Config{MaxIncomingStreams: 5}
	c2, err := Dial(ctxT(t), h.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Established(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sc2 := <-convs
	if _, err := sc2.OpenChannel(ctxT(t), frame.ChannelAgentConnection, nil); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("rth3-00 server OpenChannel: %v", err)
	}
	str, err := sc2.cs.qc.OpenStreamSync(ctxT(t))
	if err == nil {
		_, _ = str.Write([]byte("x"))
	}
	select {
	case <-c2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client kept a connection with a server-opened stream")
	}
	if want := (&Error{Code: CodeStreamCreationError}); !errors.Is(c2.Err(), ErrConnectionLost) || !errors.Is(c2.Err(), want) {
		t.Errorf("client Err %v, want local H3_STREAM_CREATION_ERROR", c2.Err())
	}
}

// TestShutdownWhileEstablishing: conversations established while Shutdown
// runs either get their handler before Shutdown waits for handlers or are
// ended at once. CI's -race run of TestShutdown once saw the handler
// WaitGroup's Add race Shutdown's Wait; this test widens that window, but
// does not reproduce the old race reliably (0 in 6 runs).
func TestShutdownWhileEstablishing(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{})
	var wg sync.WaitGroup
	convs := make(chan *Conversation, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, h.addr, h.config(frame.Alpha))
			if err != nil {
				return
			}
			convs <- c
			_ = c.Established(ctx)
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	close(convs)
	for c := range convs {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Error("a conversation survived Shutdown")
		}
		_ = c.Close()
	}
}
