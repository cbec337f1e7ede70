package forward_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/frame"
)

func dynamicForward(t testing.TB, fc *forward.Client) string {
	t.Helper()
	f, err := fc.ListenSOCKS(context.Background(), forward.Spec{Network: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	return f.Addr().String()
}

// TestSOCKSCurl fetches a page from a local HTTP server through -D with
// Debian's curl, names resolved by the proxy (--socks5-hostname) and by
// curl (--socks5, --socks4a).
func TestSOCKSCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	f := startServer(t, forward.Policy{}, "")
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", r.Host)
	}))
	defer web.Close()
	port := portOf(web.Listener.Addr())
	profiles(t, func(t *testing.T, p *frame.Profile) {
		fc, _ := connect(t, f, p)
		proxy := dynamicForward(t, fc)
		for _, mode := range []string{"--socks5-hostname", "--socks5", "--socks4a"} {
			url := "http://localhost:" + strconv.Itoa(port) + "/"
			out, err := exec.Command(curl, "-sS", "--max-time", "20", mode, proxy, url).CombinedOutput()
			if err != nil || string(out) != "hello from localhost:"+strconv.Itoa(port) {
				t.Errorf("curl %s: %q %v", mode, out, err)
			}
		}
	})
}

// TestSOCKSUDPAssociate sends datagrams through a SOCKS5 UDP ASSOCIATE,
// carried on direct-udp, to an echo server, named by IP and by name.
func TestSOCKSUDPAssociate(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		echo, _ := udpEcho(t)
		fc, _ := connect(t, f, p)
		proxy := dynamicForward(t, fc)
		ctrl, err := net.Dial("tcp", proxy)
		if err != nil {
			t.Fatal(err)
		}
		defer ctrl.Close()
		_ = ctrl.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = ctrl.Write([]byte{5, 1, 0})
		hello := make([]byte, 2)
		if _, err := io.ReadFull(ctrl, hello); err != nil || hello[1] != 0 {
			t.Fatalf("greeting %v %v", hello, err)
		}
		_, _ = ctrl.Write([]byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0})
		rep := make([]byte, 10)
		if _, err := io.ReadFull(ctrl, rep); err != nil || rep[1] != 0 || rep[3] != 1 {
			t.Fatalf("UDP ASSOCIATE reply %v %v", rep, err)
		}
		relay := &net.UDPAddr{IP: net.IP(rep[4:8]), Port: int(binary.BigEndian.Uint16(rep[8:]))}
		uc, err := net.DialUDP("udp", nil, relay)
		if err != nil {
			t.Fatal(err)
		}
		defer uc.Close()
		ep := uint16(portOf(echo.LocalAddr()))
		byIP := binary.BigEndian.AppendUint16([]byte{0, 0, 0, 1, 127, 0, 0, 1}, ep)
		byName := binary.BigEndian.AppendUint16(append([]byte{0, 0, 0, 3, 9}, "localhost"...), ep)
		for _, hdr := range [][]byte{byIP, byName} {
			for i := range 20 {
				msg := fmt.Appendf(nil, "datagram %d", i)
				if _, err := uc.Write(append(append([]byte(nil), hdr...), msg...)); err != nil {
					t.Fatal(err)
				}
				_ = uc.SetReadDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 600)
				n, err := uc.Read(buf)
				if err != nil {
					t.Fatalf("reply %d: %v", i, err)
				}
				if !bytes.Equal(buf[:n], append(append([]byte(nil), hdr...), msg...)) {
					t.Fatalf("reply %d: % x", i, buf[:n])
				}
			}
		}
		// A fragment and a truncated header are dropped and counted.
		_, _ = uc.Write([]byte{0, 0, 1, 1, 127, 0, 0, 1, 0, 7, 'x'})
		_, _ = uc.Write([]byte{0, 0, 0, 1, 127})
		waitFor(t, func() bool { return fc.Stats.Get(forward.ReasonSOCKS) == 2 })
	})
}

// TestSOCKSMalformed sends broken SOCKS requests: each is refused and
// counted, and a good request afterwards still works.
func TestSOCKSMalformed(t *testing.T) {
	f := startServer(t, forward.Policy{}, "")
	target := listenTCP(t)
	serveTCP(target, func(c net.Conn) { _, _ = c.Write([]byte("ok")); c.Close() })
	tp := uint16(portOf(target.Addr()))
	fc, _ := connect(t, f, frame.RTH300)
	proxy := dynamicForward(t, fc)
	cases := []struct {
		name string
		in   []byte
		want []byte // reply, if any
	}{
		{"bad version", []byte{9, 1, 0}, nil},
		{"no methods", []byte{5, 0}, nil},
		{"no acceptable method", []byte{5, 1, 2}, []byte{5, 0xff}},
		{"truncated request", []byte{5, 1, 0, 5, 1}, []byte{5, 0}},
		{"bind", append([]byte{5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1}, byte(tp>>8), byte(tp)), []byte{5, 0, 5, 7}},
		{"unknown address type", []byte{5, 1, 0, 5, 1, 0, 9, 1, 2, 3}, []byte{5, 0, 5, 8}},
		{"empty name", []byte{5, 1, 0, 5, 1, 0, 3, 0, 0, 80}, []byte{5, 0}},
		{"socks4 bind", []byte{4, 2, 0, 80, 127, 0, 0, 1, 0}, []byte{0, 0x5b}},
		{"socks4 unterminated user", append([]byte{4, 1, 0, 80, 127, 0, 0, 1}, bytes.Repeat([]byte{'a'}, 300)...), nil},
	}
	for _, tc := range cases {
		c, err := net.Dial("tcp", proxy)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Write(tc.in)
		if cw, ok := c.(*net.TCPConn); ok {
			_ = cw.CloseWrite()
		}
		got, _ := io.ReadAll(c)
		c.Close()
		if len(got) < len(tc.want) || !bytes.Equal(got[:len(tc.want)], tc.want) {
			t.Errorf("%s: reply % x, want prefix % x", tc.name, got, tc.want)
		}
	}
	if n := fc.Stats.Get(forward.ReasonSOCKS) + fc.Stats.Get(forward.ReasonSOCKSRefused); n < uint64(len(cases)) {
		t.Errorf("counted %d of %d: %v", n, len(cases), fc.Stats.String())
	}
	// SOCKS4 CONNECT works afterwards.
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write([]byte{4, 1, byte(tp >> 8), byte(tp), 127, 0, 0, 1, 'u', 0})
	got, _ := io.ReadAll(c)
	if len(got) != 10 || got[1] != 0x5a || string(got[8:]) != "ok" {
		t.Errorf("socks4 connect: % x", got)
	}
}
