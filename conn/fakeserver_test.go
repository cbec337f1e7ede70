package conn

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/ssh3-project/ssh3/frame"
)

// fakeServer is a bare QUIC listener that behaves like the reference
// server's HTTP/3 layer: its SETTINGS are exactly `00 04 02 33 01`
// (H3_DATAGRAM=1, no ENABLE_CONNECT_PROTOCOL, §2.2). It reports the first
// bytes of every request stream it receives.
func fakeServer(t *testing.T) (string, chan []byte) {
	serverTLS, _ := testTLS(t)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	ln, err := tr.Listen(http3.ConfigureTLSConfig(serverTLS), &quic.Config{EnableDatagrams: true})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			qc, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			if ctrl, err := qc.OpenUniStream(); err == nil {
				_, _ = ctrl.Write([]byte{0x00, 0x04, 0x02, 0x33, 0x01})
			}
			go func() {
				for {
					str, err := qc.AcceptStream(ctx)
					if err != nil {
						return
					}
					buf := make([]byte, 64)
					_ = str.SetReadDeadline(time.Now().Add(5 * time.Second))
					n, _ := str.Read(buf)
					got <- buf[:n]
				}
			}()
			go func() {
				<-ctx.Done()
				_ = qc.CloseWithError(0x100, "")
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		<-done
		_ = tr.Close()
		_ = pc.Close()
	})
	return pc.LocalAddr().String(), got
}

// TestConnectSetting: against a server that never sends
// SETTINGS_ENABLE_CONNECT_PROTOCOL, an ssh3-alpha client sends its CONNECT
// anyway, and an rth3-00 client refuses to (H-9220-1, §2.2).
func TestConnectSetting(t *testing.T) {
	checkLeaks(t)
	addr, got := fakeServer(t)
	_, clientTLS := testTLS(t)
	cfg := &Config{Profile: frame.Alpha, TLSConfig: clientTLS, Software: testSoftware}
	c, err := Dial(ctxT(t), addr, cfg)
	if err != nil {
		t.Fatalf("alpha Dial: %v", err)
	}
	select {
	case b := <-got:
		if len(b) == 0 || b[0] != 0x01 {
			t.Errorf("alpha request stream starts with %x, want a HEADERS frame", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("alpha client sent no CONNECT")
	}
	_ = c.Close()

	cfg.Profile = frame.RTH300
	cfg.SettingsTimeout = time.Second
	if _, err := Dial(ctxT(t), addr, cfg); err == nil || !strings.Contains(err.Error(), "extended CONNECT") {
		t.Fatalf("rth3-00 Dial: %v, want a refusal", err)
	}
	select {
	case b := <-got:
		t.Errorf("rth3-00 client sent a request stream: %x", b)
	default:
	}
}
