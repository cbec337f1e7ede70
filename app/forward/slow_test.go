package forward_test

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
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

// TestSlowReader is the other direction of TestSlowConsumer: the target
// writes without end and the program that connected through the forward
// never reads, through -L (a local program) and through -R (a program on
// the server's side). The target's writes stall once buffers and flow
// control windows are full, and the heap stays bounded.
func TestSlowReader(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		for _, dir := range []string{"L", "R"} {
			t.Run(dir, func(t *testing.T) {
				stalled := make(chan int64, 1)
				target := listenTCP(t)
				serveTCP(target, func(c net.Conn) {
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
					stalled <- written
				})
				fc, _ := connect(t, f, p)
				var addr string
				if dir == "L" {
					addr = localForward(t, fc, "tcp", portOf(target.Addr()))
				} else {
					rf, err := fc.ListenRemote(context.Background(), forward.Spec{Network: "tcp", Host: "127.0.0.1", Port: portOf(target.Addr())})
					if err != nil {
						t.Fatal(err)
					}
					defer rf.Close()
					addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(rf.Port))
				}
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				c, err := net.Dial("tcp", addr) // never read
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var written int64
				select {
				case written = <-stalled:
				case <-time.After(60 * time.Second):
					t.Fatal("the target's writer never returned")
				}
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				growth := int64(after.HeapInuse) - int64(before.HeapInuse)
				t.Logf("%s -%s: a reader that never reads let the target write %d MiB before it stalled; heap in use grew %d MiB; RSS %s",
					p, dir, written>>20, growth>>20, rssKiB())
				if written >= 1<<30 {
					t.Fatal("the target's writer never stalled")
				}
				if growth > 64<<20 {
					t.Errorf("heap grew by %d MiB", growth>>20)
				}
			})
		}
	})
}

// TestSlowUDPTarget floods -R udp towards a target socket that never
// reads: every queue on the way is bounded, so the heap stays bounded and
// the excess is lost (in the kernel's buffers, or dropped and counted).
func TestSlowUDPTarget(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close() // never read
		fc, _ := connect(t, f, p)
		_, addr := remoteUDP(t, fc, portOf(target.LocalAddr()))
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		msg := make([]byte, 1000)
		const total = 50000
		for i := range total {
			_, _ = c.Write(msg)
			if i%64 == 63 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		time.Sleep(500 * time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		growth := int64(after.HeapInuse) - int64(before.HeapInuse)
		t.Logf("%s: %d packets of 1000 bytes (%d MB) into a target that never reads: heap in use grew %d MiB; RSS %s; conv drops %d; client counts %v; server counts %v",
			p, total, total*1000/1000000, growth>>20, rssKiB(), fc.Conv.DroppedDatagrams(), fc.Stats.String(), f.srv.ForwardingStats())
		if growth > 32<<20 {
			t.Errorf("heap grew by %d MiB", growth>>20)
		}
	})
}
