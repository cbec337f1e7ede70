package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

// dialQUIC dials addr, or RemoteAddr over PacketConn when one is given.
// Inside a tunnel the packets must fit the outer datagrams: they start at
// the QUIC minimum of 1200 bytes and path MTU discovery is off, unless the
// caller's QUICConfig says otherwise.
func (cfg *Config) dialQUIC(ctx context.Context, addr string, p *frame.Profile) (*quic.Conn, error) {
	qconf := cfg.quicConfig(p)
	if cfg.InitialPacketSize != 0 {
		qconf.InitialPacketSize = cfg.InitialPacketSize
	}
	if cfg.PacketConn == nil {
		return dialUDP(ctx, addr, cfg.tlsConfig(addr), qconf)
	}
	if cfg.QUICConfig == nil {
		if cfg.InitialPacketSize == 0 {
			qconf.InitialPacketSize = 1200
		}
		qconf.DisablePathMTUDiscovery = true
	}
	return quic.Dial(ctx, cfg.PacketConn, cfg.RemoteAddr, cfg.tlsConfig(addr), qconf)
}

// dialUDP dials addr from a UDP socket of its own that reports ICMP errors
// while the handshake runs, so that a port nobody listens on fails at once
// with [ErrConnectionRefused], as TCP's connect does, instead of after the
// handshake timeout. Once the handshake is done ICMP errors are ignored
// again (a QUIC connection survives them, RFC 9000 §14.2.1), and the socket
// is closed with the connection.
func dialUDP(ctx context.Context, addr string, tlsConf *tls.Config, qconf *quic.Config) (*quic.Conn, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	setRecvErr(pc, true)
	qc, err := quic.Dial(ctx, pc, raddr, tlsConf, qconf)
	if err != nil {
		_ = pc.Close()
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &LostError{Err: ErrConnectionRefused}
		}
		return nil, err
	}
	setRecvErr(pc, false)
	context.AfterFunc(qc.Context(), func() { _ = pc.Close() })
	return qc, nil
}
