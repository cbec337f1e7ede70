package forward_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// TestReverse runs -R 0:127.0.0.1:port: the server binds a port, and
// connections to it reach the client's target with equal sha256 and both
// half-closes.
func TestReverse(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	size := bulkSize() / 4
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target := hashingTarget(t)
		fc, n := connect(t, f, p)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("client notes: %v", n.all())
			}
		})
		rf, err := fc.ListenRemote(context.Background(), forward.Spec{Network: "tcp", Host: "127.0.0.1", Port: portOf(target.Addr())})
		if err != nil {
			t.Fatal(err)
		}
		if rf.Port == 0 {
			t.Fatal("no port bound")
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(rf.Port))
		for range 3 {
			el := sendHashed(t, addr, size, 2)
			t.Logf("%s: -R %d MiB in %v: %.1f MB/s", p, size>>20, el.Round(time.Millisecond), float64(size)/el.Seconds()/1e6)
		}
		// Closing the listener channel stops listening.
		rf.Close()
		waitFor(t, func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err != nil
		})
	})
}

// TestReverseRefused checks policy and the unknown-connection path.
func TestReverseRefused(t *testing.T) {
	f := startServer(t, forward.Policy{}, "no-port-forwarding")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		fc, _ := connect(t, f, p)
		_, err := fc.ListenRemote(context.Background(), forward.Spec{Network: "tcp", Host: "127.0.0.1", Port: 9})
		if err == nil {
			t.Fatal("no-port-forwarding: listener allowed")
		}
		t.Log(err)
		// An accept channel naming nothing pending.
		ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelReverseTCP, &frame.ReverseAccept{Listener: 4, Connection: 77})
		if err != nil {
			t.Fatal(err)
		}
		_ = ch.SetReadDeadline(time.Now().Add(10 * time.Second))
		var oe *conn.OpenError
		var ce *conn.Error
		if ch.Raw() {
			_, err = ch.Read(make([]byte, 1))
			if !errors.As(err, &ce) || ce.Code != conn.CodeRequestRejected {
				t.Errorf("unknown accept: %v", err)
			}
		} else {
			_, err = ch.ReadMessage()
			if !errors.As(err, &oe) || oe.Reason != frame.ReasonAdministrativelyProhibited {
				t.Errorf("unknown accept: %v", err)
			}
		}
		ch.Close()
	})
	st := f.srv.ForwardingStats()
	if st[forward.ReasonPolicy] != 2 || st[forward.ReasonUnknownConn] != 2 {
		t.Errorf("server counts %v", st)
	}
}

// TestReversePending opens a listener by hand and never accepts: inbound
// connections over the cap are closed at once, the others after the hold
// time, each counted; closing the listener channel releases the port.
func TestReversePending(t *testing.T) {
	f := startServer(t, forward.Policy{ReverseHold: 300 * time.Millisecond}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		fc, _ := connect(t, f, p)
		ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelReverseTCP,
			&frame.ReverseListen{Bind: frame.IPAddress(netipAddrPort("127.0.0.1", 0))})
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		var port uint64
		var incoming int
		for port == 0 {
			m, err := ch.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := m.(*frame.ReverseBound); ok {
				port = b.Port
			}
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.FormatUint(port, 10))
		var conns []net.Conn
		for range forward.MaxPendingPerListener + 4 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		seen := map[uint64]bool{}
		for incoming < forward.MaxPendingPerListener {
			m, err := ch.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if in, ok := m.(*frame.ReverseIncoming); ok {
				if seen[in.Connection] || in.Originator.AddrPort().Addr().String() != "127.0.0.1" {
					t.Fatalf("reverse-incoming %+v", in)
				}
				seen[in.Connection] = true
				incoming++
			}
		}
		// Every inbound connection is closed: 4 at once, 16 after the hold.
		for i, c := range conns {
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Fatalf("connection %d got data", i)
			}
			c.Close()
		}
		ch.Close()
		waitFor(t, func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err != nil
		})
	})
	// 4 refused per profile, plus any probe of waitFor above that reached
	// the listener before it closed (refused as well: its queue was full).
	st := f.srv.ForwardingStats()
	if st[forward.ReasonPendingFull] < 8 || st[forward.ReasonPendingExpiry] != 32 {
		t.Errorf("server counts %v, want pending-full >= 8 and pending-expired 32", st)
	}
}
