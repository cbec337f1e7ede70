package forward_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// bulkSize is what TestLocalBulk sends: 100 MiB by default (the -race run
// on two cores), SSH3_BULK_MB to change it; TestLong1GiB is the 1 GiB check.
func bulkSize() int64 {
	if s := os.Getenv("SSH3_BULK_MB"); s != "" {
		n, _ := strconv.Atoi(s)
		return int64(n) << 20
	}
	if testing.Short() {
		return 8 << 20
	}
	return 100 << 20
}

// localForward starts -L 0:127.0.0.1:port and returns the local address.
func localForward(t testing.TB, fc *forward.Client, network string, port int) string {
	t.Helper()
	f, err := fc.ListenLocal(context.Background(), forward.Spec{Network: network, Host: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}
	return f.Addr().String()
}

// TestLocalBulk sends pseudo-random bytes through -L to a target that
// hashes them and answers with the hash; both sides' hashes must agree.
func TestLocalBulk(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	size := bulkSize()
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target := hashingTarget(t)
		fc, _ := connect(t, f, p)
		addr := localForward(t, fc, "tcp", portOf(target.Addr()))
		el := sendHashed(t, addr, size, 1)
		t.Logf("%s: %d MiB in %v: %.1f MB/s", p, size>>20, el.Round(time.Millisecond), float64(size)/el.Seconds()/1e6)
	})
}

type prng struct{ r *rand.ChaCha8 }

func (p *prng) Read(b []byte) (int, error) { return p.r.Read(b) }

// TestHalfClose checks both directions of a TCP half-close: the client's
// shutdown of writing arrives as EOF and the reply still comes back; the
// target's shutdown arrives as EOF and the client can still send.
func TestHalfClose(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target := listenTCP(t)
		got := make(chan string, 1)
		serveTCP(target, func(c net.Conn) {
			defer c.Close()
			line := make([]byte, 5)
			if _, err := io.ReadFull(c, line); err != nil {
				return
			}
			if string(line) == "first" {
				// Case 1: read to EOF, then answer.
				rest, _ := io.ReadAll(c)
				_, _ = c.Write([]byte("reply after EOF: " + string(rest)))
				return
			}
			// Case 2: say goodbye, shut writing, keep reading.
			_, _ = c.Write([]byte("bye"))
			_ = c.(*net.TCPConn).CloseWrite()
			rest, _ := io.ReadAll(c)
			got <- string(line) + string(rest)
		})
		fc, _ := connect(t, f, p)
		addr := localForward(t, fc, "tcp", portOf(target.Addr()))

		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("first and more"))
		_ = c.(*net.TCPConn).CloseWrite()
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(b) != "reply after EOF:  and more" {
			t.Fatalf("client half-close: %q, %v", b, err)
		}

		c, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("other"))
		b, err = io.ReadAll(c) // EOF once the target shut its writing
		if err != nil || string(b) != "bye" {
			t.Fatalf("target half-close: %q, %v", b, err)
		}
		_, _ = c.Write([]byte(" still writing"))
		_ = c.(*net.TCPConn).CloseWrite()
		select {
		case s := <-got:
			if s != "other still writing" {
				t.Fatalf("target read %q", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("target never saw the client's data after its own shutdown")
		}
	})
}

// TestParallel runs many forwarded connections at once, each echoing its
// own data.
func TestParallel(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	n := 300
	if testing.Short() {
		n = 50
	}
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target := listenTCP(t)
		serveTCP(target, func(c net.Conn) {
			defer c.Close()
			_, _ = io.Copy(c, c)
		})
		fc, _ := connect(t, f, p)
		addr := localForward(t, fc, "tcp", portOf(target.Addr()))
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(60 * time.Second))
				msg := bytes.Repeat([]byte(strconv.Itoa(i)+","), 2000)
				go func() {
					_, _ = c.Write(msg)
					_ = c.(*net.TCPConn).CloseWrite()
				}()
				b, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(b, msg) {
					errs <- fmt.Errorf("connection %d: %d bytes back, %v", i, len(b), err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// closedPort is a loopback port with nothing listening.
func closedPort(t *testing.T) int {
	ln := listenTCP(t)
	p := portOf(ln.Addr())
	ln.Close()
	return p
}

// TestRefused checks the failure signalling of direct-tcp: a dial failure
// is OPEN_FAILURE CONNECT_FAILED (alpha) or H3_CONNECT_ERROR (rth3-00), a
// forbidden target reason 1 or H3_REQUEST_REJECTED, and the client prints
// one line for each.
func TestRefused(t *testing.T) {
	f := startServer(t, forward.Policy{}, `permitopen="127.0.0.1:1",permitopen="127.0.0.2:*"`)
	port := closedPort(t)
	profiles(t, func(t *testing.T, p *frame.Profile) {
		fc, n := connect(t, f, p)
		open := func(port int) error {
			a := frame.IPAddress(netipAddrPort("127.0.0.2", port))
			ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelDirectTCP, &a)
			if err != nil {
				return err
			}
			defer ch.Close()
			_ = ch.SetReadDeadline(time.Now().Add(20 * time.Second))
			if ch.Raw() {
				_, err = ch.Read(make([]byte, 1))
			} else {
				_, err = ch.ReadMessage()
			}
			return err
		}
		err := open(port)
		var oe *conn.OpenError
		var ce *conn.Error
		if p.RawTCP() {
			if !errors.As(err, &ce) || ce.Code != conn.CodeConnectError || !ce.Remote {
				t.Errorf("dial failure: %v, want a remote H3_CONNECT_ERROR", err)
			}
		} else if !errors.As(err, &oe) || oe.Reason != frame.ReasonConnectFailed {
			t.Errorf("dial failure: %v, want OPEN_FAILURE reason 2", err)
		}
		// Forbidden by permitopen=: 127.0.0.1 only on port 1. The address
		// goes out as IPv4-mapped family 6, as the reference sends it.
		a := frame.Address{Family: frame.FamilyIPv6, IP: netipAddrPort("::ffff:127.0.0.1", 0).Addr(), Port: uint16(port)}
		ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelDirectTCP, &a)
		if err != nil {
			t.Fatal(err)
		}
		_ = ch.SetReadDeadline(time.Now().Add(20 * time.Second))
		if ch.Raw() {
			_, err = ch.Read(make([]byte, 1))
			if !errors.As(err, &ce) || ce.Code != conn.CodeRequestRejected {
				t.Errorf("forbidden: %v, want H3_REQUEST_REJECTED", err)
			}
		} else {
			_, err = ch.ReadMessage()
			if !errors.As(err, &oe) || oe.Reason != frame.ReasonAdministrativelyProhibited {
				t.Errorf("forbidden: %v, want OPEN_FAILURE reason 1", err)
			}
		}
		ch.Close()
		// Through -L: one line for the user, and the local connection
		// closes.
		addr := localForward(t, fc, "tcp", port)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		if err == nil {
			t.Fatal("refused forward delivered data")
		}
		waitFor(t, func() bool { return len(n.all()) > 0 })
		if msg := n.all()[0]; !strings.Contains(msg, "open failed: administratively prohibited") || strings.Contains(msg, "\n") {
			t.Errorf("message %q", msg)
		}
	})
	st := f.srv.ForwardingStats()
	if st[forward.ReasonPolicy] < 4 || st[forward.ReasonDialFailed] < 2 {
		t.Errorf("server counts %v", st)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBadAddresses: address blocks that cannot exist (unknown family, a
// host name in ssh3-alpha, an IPv6 address under family 4) are refused
// before anything is sent, and the conversation goes on. The server's side
// of malformed headers (reset 0x10e) is tested in frame and conn.
func TestBadAddresses(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	target := listenTCP(t)
	serveTCP(target, func(c net.Conn) { _, _ = c.Write([]byte("fine")); c.Close() })
	profiles(t, func(t *testing.T, p *frame.Profile) {
		fc, _ := connect(t, f, p)
		bad := []frame.Address{
			{Family: 9, Port: 80},
			{Family: frame.FamilyIPv4, IP: netipAddrPort("::1", 0).Addr(), Port: 80},
			{Family: frame.FamilyName, Host: "", Port: 80},
		}
		if !p.HostNameTargets() {
			bad = append(bad, frame.NameAddress("localhost", 80))
		}
		for _, a := range bad {
			if ch, err := fc.Conv.OpenChannel(context.Background(), frame.ChannelDirectTCP, &a); err == nil {
				ch.Abort(conn.CodeRequestCancelled)
				t.Errorf("%+v: channel opened", a)
			}
		}
		addr := localForward(t, fc, "tcp", portOf(target.Addr()))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		if string(b) != "fine" {
			t.Fatalf("forward after bad addresses: %q", b)
		}
	})
}
