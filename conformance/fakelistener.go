package conformance

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// fakeListener is what the suite's servers of client-under-test mode share
// (fakeServer for the scenarios, loginFake for password login and UDP
// forwarding): a loopback socket, an accept loop that serves each
// connection on a goroutine of its own, and a Close that ends every
// connection and waits for those goroutines.
type fakeListener struct {
	ln   interface{ Close() error }
	pc   net.PacketConn
	Addr string

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []*quic.Conn
}

// listenFake listens on a loopback port with cert and calls serve for every
// connection. early accepts 0-RTT, and hands over connections before their
// handshake completes.
func listenFake(cert tls.Certificate, early bool, serve func(*quic.Conn)) (*fakeListener, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h3"}}
	qcfg := &quic.Config{EnableDatagrams: true, Allow0RTT: early, MaxIdleTimeout: 20 * time.Second}
	l := &fakeListener{pc: pc, Addr: pc.LocalAddr().String()}
	var accept func(context.Context) (*quic.Conn, error)
	if early {
		ln, err := quic.ListenEarly(pc, tc, qcfg)
		if err != nil {
			pc.Close()
			return nil, err
		}
		l.ln, accept = ln, ln.Accept
	} else {
		ln, err := quic.Listen(pc, tc, qcfg)
		if err != nil {
			pc.Close()
			return nil, err
		}
		l.ln, accept = ln, ln.Accept
	}
	l.wg.Add(1)
	go l.accept(accept, serve)
	return l, nil
}

func (l *fakeListener) accept(accept func(context.Context) (*quic.Conn, error), serve func(*quic.Conn)) {
	defer l.wg.Done()
	for {
		qc, err := accept(context.Background())
		if err != nil {
			return
		}
		l.mu.Lock()
		l.conns = append(l.conns, qc)
		l.wg.Add(1) // under mu: Close waits only after taking it
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			serve(qc)
		}()
	}
}

// Close stops the listener, closes every connection with H3_NO_ERROR and
// waits for the goroutines serving them.
func (l *fakeListener) Close() {
	l.ln.Close()
	l.mu.Lock()
	conns := l.conns
	l.mu.Unlock()
	for _, qc := range conns {
		_ = qc.CloseWithError(0x100, "")
	}
	l.pc.Close()
	l.wg.Wait()
}

// defaultFakeSettings are the SETTINGS of a server that serves SSH3:
// a field section limit, extended CONNECT and HTTP datagrams.
var defaultFakeSettings = []Setting{{settingMaxFieldSection, 1 << 16}, {settingConnectProtocol, 1}, {settingH3Datagram, 1}}

// drainUniStreams reads and drops every unidirectional stream the peer
// opens (its control and QPACK streams) until the connection ends.
func drainUniStreams(qc *quic.Conn) {
	for {
		st, err := qc.AcceptUniStream(qc.Context())
		if err != nil {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, st) }()
	}
}

// sendSettings opens the control stream and sends SETTINGS s on it.
func sendSettings(qc *quic.Conn, s []Setting) {
	ctl, err := qc.OpenUniStream()
	if err != nil {
		return
	}
	_, _ = ctl.Write(AppendSettingsFrame(wire.AppendVarint(nil, streamTypeControl), s))
}

// referenceServerHeader is what a v0.1.7 server answers in ssh3-alpha: no
// capabilities.
const referenceServerHeader = "SSH 3.0 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-00"

// versionField is the version header of a response in profile p: the
// server header in ssh3-alpha (sv, or the reference's when sv is ""), the
// remote-terminal-version header in rth3-00.
func versionField(p *frame.Profile, sv string) Field {
	if p != frame.Alpha {
		return Field{"remote-terminal-version", draftName}
	}
	if sv == "" {
		sv = referenceServerHeader
	}
	return Field{"server", sv}
}
