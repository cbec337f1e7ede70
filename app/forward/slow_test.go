package forward_test

import (
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/frame"
)

// rssKiB is this process's resident set size.
func rssKiB() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "?"
}

// TestSlowConsumer forwards to a target that never reads: the client's
// writes stall once the socket buffers and QUIC flow control windows are
// full, memory stays bounded, and another forwarded connection on the
// same conversation still works.
func TestSlowConsumer(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		stuck := listenTCP(t)
		hold := make(chan net.Conn, 1)
		serveTCP(stuck, func(c net.Conn) { hold <- c }) // accepted, never read
		echo := listenTCP(t)
		serveTCP(echo, func(c net.Conn) { defer c.Close(); _, _ = io.Copy(c, c) })
		fc, _ := connect(t, f, p)
		stuckAddr := localForward(t, fc, "tcp", portOf(stuck.Addr()))
		echoAddr := localForward(t, fc, "tcp", portOf(echo.Addr()))

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := net.Dial("tcp", stuckAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 1<<20)
		var written int64
		_ = c.SetWriteDeadline(time.Now().Add(3 * time.Second))
		for written < 1<<30 {
			n, err := c.Write(buf)
			written += int64(n)
			if err != nil {
				break
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		growth := int64(after.HeapInuse) - int64(before.HeapInuse)
		t.Logf("%s: a target that never reads took %d MiB before the writer stalled; heap in use grew %d MiB; RSS %s",
			p, written>>20, growth>>20, rssKiB())
		if written >= 1<<30 {
			t.Fatal("the writer never stalled")
		}
		if growth > 64<<20 {
			t.Errorf("heap grew by %d MiB", growth>>20)
		}
		// The other forward is unaffected.
		e, err := net.Dial("tcp", echoAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		_ = e.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = e.Write([]byte("still here"))
		got := make([]byte, 10)
		if _, err := io.ReadFull(e, got); err != nil || string(got) != "still here" {
			t.Fatalf("other forward: %q %v", got, err)
		}
		select {
		case sc := <-hold:
			sc.Close()
		default:
		}
	})
}
