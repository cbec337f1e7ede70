package conn

import (
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// TestDialPortUnreachable: a UDP port nobody listens on answers the Initial with an
// ICMP port unreachable, and Dial reports ErrConnectionRefused instead of
// waiting out the handshake timeout (Linux only: IP_RECVERR).
func TestDialPortUnreachable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("IP_RECVERR is Linux's")
	}
	checkLeaks(t)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close() // nothing listens there any more
	for _, p := range frame.Profiles() {
		_, err := Dial(ctxT(t), addr, &Config{Profile: p, TLSConfig: &tls.Config{InsecureSkipVerify: true}})
		if !errors.Is(err, ErrConnectionRefused) || !errors.Is(err, ErrConnectionLost) {
			t.Errorf("%s: Dial to a closed port: %v, want ErrConnectionRefused (a lost connection)", name(p), err)
		}
	}
}
