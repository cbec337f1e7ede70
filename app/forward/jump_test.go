package forward_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/frame"
)

// TestJump runs a command on a target reached through one and two jump
// hosts: each hop is a QUIC connection carried in the previous hop's
// direct-udp datagrams.
func TestJump(t *testing.T) {
	a := startServer(t, forward.Policy{}, "")
	b := startServer(t, forward.Policy{}, "")
	target := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		for _, hops := range [][]*fixture{{a}, {a, b}} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			var jumps []*client.Config
			for _, h := range hops {
				jumps = append(jumps, h.clientConfig(p))
			}
			tc := target.clientConfig(p)
			var out bytes.Buffer
			start := time.Now()
			exit, err := client.Run(ctx, tc, &session.ClientConfig{Command: "echo through $SSH_CONNECTION", Stdout: &out}, client.Options{Jumps: jumps})
			cancel()
			if err != nil || exit.Status != 0 || !bytes.HasPrefix(out.Bytes(), []byte("through 127.0.0.1")) {
				t.Fatalf("%d hops: %q %+v %v", len(hops), out.String(), exit, err)
			}
			t.Logf("%s: %d hop(s): %q in %v", p, len(hops), bytes.TrimSpace(out.Bytes()), time.Since(start).Round(time.Millisecond))
		}
	})
}
