package forward_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/frame"
)

// udpEcho answers every packet with itself and counts them.
func udpEcho(t testing.TB) (*net.UDPConn, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	var n atomic.Int64
	go func() {
		buf := make([]byte, 70000)
		for {
			k, src, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			n.Add(1)
			_, _ = pc.WriteToUDPAddrPort(buf[:k], src)
		}
	}()
	return pc, &n
}

// udpBurst is how many datagrams TestUDPForward sends per millisecond.
var udpBurst = 8

// TestUDPForward sends 10,000 numbered datagrams through a UDP -L to an
// echo server and counts them at the target and back at the client; the
// loss is reported, and must stay small on loopback. An oversized packet
// in the middle is dropped and counted without stopping the forward.
func TestUDPForward(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	total := 10000
	if testing.Short() {
		total = 1000
	}
	profiles(t, func(t *testing.T, p *frame.Profile) {
		echo, atTarget := udpEcho(t)
		fc, _ := connect(t, f, p)
		addr := localForward(t, fc, "udp", portOf(echo.LocalAddr()))
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		back := countReplies(c, total)
		msg := make([]byte, 200)
		for i := range total {
			binary.BigEndian.PutUint32(msg, uint32(i))
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if i == total/2 {
				_, _ = c.Write(bytes.Repeat([]byte{1}, 8000)) // over any QUIC datagram
			}
			if i%udpBurst == udpBurst-1 {
				time.Sleep(time.Millisecond) // a paced sender, as real UDP traffic is
			}
		}
		// Wait until every datagram is back or nothing has come for 1 s.
		deadline := time.Now().Add(10 * time.Second)
		for last, idle := int64(-1), 0; back.Load() < int64(total) && time.Now().Before(deadline) && idle < 50; {
			time.Sleep(20 * time.Millisecond)
			if n := back.Load(); n == last {
				idle++
			} else {
				last, idle = n, 0
			}
		}
		time.Sleep(100 * time.Millisecond)
		sent, tgt, got := total, atTarget.Load(), back.Load()
		fc.Close()
		_ = fc.Conv.Close()
		fc.Wait()
		time.Sleep(100 * time.Millisecond)
		t.Logf("%s: conv drops %d sent %d, target received %d (loss %d), client received %d back (loss %d); client drops %v; server drops %v",
			p, fc.Conv.DroppedDatagrams(), sent, tgt, int64(sent)-tgt, got, int64(sent)-got, fc.Stats.String(), f.srv.ForwardingStats())
		if fc.Stats.Get(forward.ReasonTooLarge) != 1 {
			t.Errorf("oversized packet: counted %d, want 1", fc.Stats.Get(forward.ReasonTooLarge))
		}
		// Loss comes from conn's bounded per-channel queue (64 datagrams,
		// X-ROB-29) and the kernel's UDP buffers when a reader is
		// descheduled: 0–1 % on an idle machine, up to 20 % under -race on a
		// loaded one. UDP may lose; the test reports it and fails only on
		// a broken forward.
		if got < int64(sent)/2 {
			t.Errorf("lost %d of %d datagrams", int64(sent)-got, sent)
		}
	})
}

// TestUDPNoTarget checks that a forward whose target is forbidden is
// refused, counted, and reported, while another forward goes on.
func TestUDPForbidden(t *testing.T) {
	f := startServer(t, forward.Policy{DisableUDP: true}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		echo, _ := udpEcho(t)
		fc, n := connect(t, f, p)
		addr := localForward(t, fc, "udp", portOf(echo.LocalAddr()))
		c, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("x"))
		waitFor(t, func() bool { return len(n.all()) > 0 })
		t.Log(n.all()[0])
	})
	if f.srv.ForwardingStats()[forward.ReasonPolicy] != 2 {
		t.Errorf("server counts %v", f.srv.ForwardingStats())
	}
}

// TestDatagramsForClosedChannel sends datagrams after the channel ended:
// they are dropped and counted, and the conversation goes on.
func TestDatagramsForClosedChannel(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		echo, _ := udpEcho(t)
		fc, _ := connect(t, f, p)
		a := frame.IPAddress(netipAddrPort("127.0.0.1", portOf(echo.LocalAddr())))
		ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelDirectUDP, &a)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.AwaitConfirmation(); err != nil {
			t.Fatal(err)
		}
		_ = ch.SendDatagram([]byte("hello"))
		if b, err := receive(ch); err != nil || string(b) != "hello" {
			t.Fatalf("echo: %q %v", b, err)
		}
		_ = ch.Close()
		for range 10 {
			_ = ch.SendDatagram([]byte("late")) // the channel is closed here
		}
		// Another forward on the same conversation is unaffected.
		addr := localForward(t, fc, "udp", portOf(echo.LocalAddr()))
		c, _ := net.Dial("udp", addr)
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 100)
		var k int
		for k == 0 {
			_, _ = c.Write([]byte("again"))
			k, _ = c.Read(buf)
		}
		if string(buf[:k]) != "again" {
			t.Fatalf("second forward: %q", buf[:k])
		}
	})
}

func receive(ch interface {
	ReceiveDatagram(context.Context) ([]byte, error)
}) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return ch.ReceiveDatagram(ctx)
}

// countReplies counts, until c is closed, the distinct packet numbers
// below total (each reply's first 4 bytes, big endian) that come back on c.
func countReplies(c net.Conn, total int) *atomic.Int64 {
	var back atomic.Int64
	seen := make([]atomic.Bool, total)
	go func() {
		buf := make([]byte, 2000)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if n >= 4 {
				if i := binary.BigEndian.Uint32(buf); int(i) < total && !seen[i].Swap(true) {
					back.Add(1)
				}
			}
		}
	}()
	return &back
}
