package conn

import (
	"errors"
	"io"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

func TestConnectAndEcho(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(name(p), func(t *testing.T) {
			checkLeaks(t)
			h := startServer(t, &Server{})
			c := h.dial(p)
			ctx := ctxT(t)
			ch, err := c.OpenChannel(ctx, frame.ChannelSession, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ch.WriteData([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if err := c.Established(ctx); err != nil {
				t.Fatalf("Established: %v", err)
			}
			if got := readData(t, ch); got != "hello" {
				t.Fatalf("first data %q, want hello", got)
			}
			if got := readData(t, ch); got != "ping" {
				t.Fatalf("echo %q, want ping", got)
			}
			if c.ID() != 0 || ch.ID() != 4 {
				t.Errorf("conversation %d channel %d, want 0 and 4", c.ID(), ch.ID())
			}
			if ch.PeerMaxMessageSize() != frame.DefaultMaxMessageSize {
				t.Errorf("peer max %d", ch.PeerMaxMessageSize())
			}
			if err := ch.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if _, err := ch.ReadMessage(); err != io.EOF {
				t.Fatalf("after CloseWrite: %v, want EOF", err)
			}
			_ = ch.Close()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(c.Err(), ErrConversationClosed) {
				t.Fatalf("Err after Close: %v", c.Err())
			}
		})
	}
}
