package forward

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/conn"
)

// jumpQueueLen bounds the packets waiting to be read from a jump path.
const jumpQueueLen = 256

// PacketConn is a net.PacketConn whose packets travel as datagrams of one
// direct-udp channel (proxy jump, §5.4): every packet written goes to the
// channel's target, every packet read comes from it.
type PacketConn struct {
	ch     *conn.Channel
	remote net.Addr
	in     chan []byte
	stats  *Stats

	mu       sync.Mutex // guards deadline and wake
	deadline time.Time
	wake     chan struct{} // closed when the deadline changes

	closeOnce sync.Once
	closed    chan struct{}
}

var _ net.PacketConn = (*PacketConn)(nil)

// jumpAddr is the local name of a jump path.
type jumpAddr struct{ s string }

func (a jumpAddr) Network() string { return "ssh3-jump" }
func (a jumpAddr) String() string  { return a.s }

// DialUDP opens a direct-udp channel to host:port and returns it as a
// PacketConn, with the target's address to dial on it.
func (c *Client) DialUDP(ctx context.Context, host string, port int) (*PacketConn, error) {
	a, err := c.targetAddress(ctx, host, port)
	if err != nil {
		return nil, err
	}
	pc := &PacketConn{in: make(chan []byte, jumpQueueLen), stats: &c.Stats, wake: make(chan struct{}), closed: make(chan struct{})}
	u, err := c.openUDP(ctx, a, pc.deliver, func(error) { _ = pc.Close() })
	if err != nil {
		if err == errReported {
			err = errors.New("forward: the jump host refused the path to " + a.String())
		}
		return nil, err
	}
	pc.ch = u.ch
	pc.remote = &net.UDPAddr{IP: a.AddrPort().Addr().AsSlice(), Port: int(a.Port)}
	if !a.AddrPort().IsValid() {
		pc.remote = jumpAddr{a.String()}
	}
	return pc, nil
}

func (p *PacketConn) deliver(b []byte) {
	select {
	case p.in <- b:
	default:
		p.stats.Add(ReasonQueueFull)
	}
}

// ReadFrom returns the next packet from the target.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		p.mu.Lock()
		dl, wake := p.deadline, p.wake
		p.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case pkt := <-p.in:
			return copy(b, pkt), p.remote, nil
		case <-p.closed:
			return 0, nil, net.ErrClosed
		case <-timeout:
			return 0, nil, os.ErrDeadlineExceeded
		case <-wake:
		}
	}
}

// WriteTo sends b to the target; addr is ignored. A packet too large for
// one datagram is dropped and counted, as the network would drop it.
func (p *PacketConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	default:
	}
	if !sendDatagram(p.ch, b, p.stats) {
		return 0, net.ErrClosed
	}
	return len(b), nil
}

// Close ends the channel.
func (p *PacketConn) Close() error {
	p.closeOnce.Do(func() {
		close(p.closed)
		if p.ch != nil {
			_ = p.ch.Close()
		}
	})
	return nil
}

func (p *PacketConn) LocalAddr() net.Addr { return jumpAddr{"jump"} }

// RemoteAddr is the target's address, to dial on this PacketConn.
func (p *PacketConn) RemoteAddr() net.Addr { return p.remote }

func (p *PacketConn) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

func (p *PacketConn) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.deadline = t
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	return nil
}

func (p *PacketConn) SetWriteDeadline(time.Time) error { return nil }

// SetReadBuffer and SetWriteBuffer satisfy quic-go's buffer tuning; the
// queue is bounded here.
func (p *PacketConn) SetReadBuffer(int) error  { return nil }
func (p *PacketConn) SetWriteBuffer(int) error { return nil }

// JumpPacketSize is the first QUIC packet size of the jump host at depth
// (0: reached directly). Each hop carries the next one's whole packets in
// its datagrams, plus about 50 bytes of QUIC, datagram and SSH3 prefix, and
// the innermost connection needs 1200 bytes; the first hop starts at 1452
// bytes, the largest QUIC packet in IPv4 over a 1500-byte path (§5.4).
func JumpPacketSize(depth int) uint16 {
	return uint16(max(1452-70*depth, 1200))
}

// Through opens a new path to host:port through this client's conversation
// for each connection attempt (a client.Config's Through, proxy jump §5.4).
func (c *Client) Through(host string, port int) func(ctx context.Context) (net.PacketConn, net.Addr, error) {
	return func(ctx context.Context) (net.PacketConn, net.Addr, error) {
		pc, err := c.DialUDP(ctx, host, port)
		if err != nil {
			return nil, nil, err
		}
		return pc, pc.RemoteAddr(), nil
	}
}
