package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// UDP limits.
const (
	// udpBufSize holds any UDP packet; the datagram prefix is added by conn.
	udpBufSize = 64 << 10
	// MaxUDPSources caps the direct-udp channels of one UDP forward.
	MaxUDPSources = 256
	// UDPIdleTimeout closes a source's channel after that long without
	// packets either way.
	UDPIdleTimeout = 2 * time.Minute
)

// ServeDirectUDP serves a direct-udp channel: the peer must take datagrams
// (92 reason 1 otherwise), the policy must allow the target, then a UDP
// socket connected to the target is opened and the channel confirmed
// (§5.2). Packets too large for one QUIC datagram are dropped and counted
// (X-ROB-30); the channel ends with the stream.
func (s *Server) ServeDirectUDP(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	a, ok := ch.Header().Extra.(*frame.Address)
	switch {
	case !ok:
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBadHeader, "no target address")
		return
	case !c.PeerDatagrams():
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonNoDatagrams, "datagrams are not enabled")
		return
	case s.Policy.DisableUDP || !s.Policy.allowsOpen(c, a):
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonPolicy, "forwarding to "+a.String()+" is not permitted")
		return
	}
	nc, err := s.Policy.dial(ctx, "udp", a)
	if err != nil {
		s.refuse(ch, frame.ReasonConnectFailed, ReasonDialFailed, err.Error())
		return
	}
	defer nc.Close()
	if err := ch.Confirm(); err != nil {
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		drainStream(ch)
		cancel()
		_ = nc.Close()
	}()
	go func() {
		for {
			p, err := ch.ReceiveDatagram(ctx)
			if err != nil {
				_ = nc.Close()
				return
			}
			if _, err := nc.Write(p); err != nil && ctx.Err() == nil {
				s.Stats.Add(ReasonSendFailed)
			}
		}
	}()
	buf := make([]byte, udpBufSize)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			continue // e.g. ICMP port unreachable from an earlier write
		}
		if !sendDatagram(ch, buf[:n], &s.Stats) {
			break
		}
	}
	s.Stats.AddN(ReasonQueueFull, ch.DroppedDatagrams())
	_ = ch.Close()
}

// sendDatagram sends one packet; an oversized one is dropped and counted,
// and only a channel or connection that is gone stops the caller.
func sendDatagram(ch *conn.Channel, p []byte, st *Stats) bool {
	err := ch.SendDatagram(p)
	switch {
	case err == nil:
		return true
	case errors.Is(err, conn.ErrDatagramTooLarge):
		st.Add(ReasonTooLarge)
		return true
	case errors.Is(err, conn.ErrConnectionLost), errors.Is(err, conn.ErrConversationClosed):
		return false
	}
	st.Add(ReasonSendFailed)
	return true
}

// drainStream reads a UDP channel's stream until it ends: after the
// confirmation nothing else travels on it (§5.2). Its error is the open
// failure or the reason for the end, nil for a FIN.
func drainStream(ch *conn.Channel) error {
	for {
		_, err := ch.ReadMessage()
		if err == nil {
			continue
		}
		if err == io.EOF {
			return nil
		}
		return err
	}
}

// errReported is a failure already told to the user.
var errReported = errors.New("forward: reported")

// udpChannel is one direct-udp channel opened by the client.
type udpChannel struct {
	ch   *conn.Channel
	last atomic.Int64 // unix nanoseconds of the last packet either way
	done chan struct{}
}

func (u *udpChannel) touch() { u.last.Store(time.Now().UnixNano()) }

// openUDP opens a direct-udp channel to a and delivers every payload that
// comes back to deliver, until the channel ends. onEnd runs once then.
func (c *Client) openUDP(ctx context.Context, a frame.Address, deliver func([]byte), onEnd func(error)) (*udpChannel, error) {
	ch, err := c.Conv.OpenChannel(ctx, frame.ChannelDirectUDP, &a)
	if err != nil {
		return nil, err
	}
	return c.startUDP(ctx, ch, "udp to "+a.String(), deliver, onEnd)
}

// startUDP waits for the confirmation of a UDP channel this side opened,
// then delivers every payload that comes on it to deliver until the channel
// ends; onEnd runs once then. what names the channel in messages. A
// refusal is told to the user and returned as errReported.
func (c *Client) startUDP(ctx context.Context, ch *conn.Channel, what string, deliver func([]byte), onEnd func(error)) (*udpChannel, error) {
	// Datagrams that arrive before their channel are dropped (§3.7): wait
	// for the confirmation, bounded.
	timer := time.AfterFunc(DefaultDialTimeout+5*time.Second, func() { ch.Abort(conn.CodeRequestCancelled) })
	err := ch.AwaitConfirmation()
	timer.Stop()
	if err != nil {
		ch.Abort(conn.CodeRequestCancelled)
		if msg := describeOpenFailure(err); msg != "" {
			c.Stats.Add(ReasonOpenFailed)
			c.notify("channel %d: open failed: %s (%s)", ch.ID(), msg, what)
			return nil, errReported
		}
		return nil, err
	}
	u := &udpChannel{ch: ch, done: make(chan struct{})}
	u.touch()
	rctx, cancel := context.WithCancel(ctx)
	c.go_(func() {
		err := drainStream(ch)
		cancel()
		c.Stats.AddN(ReasonQueueFull, ch.DroppedDatagrams())
		_ = ch.Close()
		close(u.done)
		if msg := describeOpenFailure(err); msg != "" {
			c.Stats.Add(ReasonOpenFailed)
			c.notify("channel %d: open failed: %s (%s)", ch.ID(), msg, what)
		}
		if onEnd != nil {
			onEnd(err)
		}
	})
	c.go_(func() {
		for {
			p, err := ch.ReceiveDatagram(rctx)
			if err != nil {
				return
			}
			u.touch()
			deliver(p)
		}
	})
	return u, nil
}

// udpForward is a UDP -L forward: one channel per source address.
type udpForward struct {
	c      *Client
	pc     net.PacketConn
	host   string
	port   int
	mu     sync.Mutex // guards srcs
	srcs   map[string]*udpChannel
	closed atomic.Bool
	quit   chan struct{} // closed by stop
}

func (c *Client) listenUDP(ctx context.Context, s Spec) (*LocalForward, error) {
	pc, err := net.ListenPacket("udp", s.BindAddr(defaultBind(s.Host)))
	if err != nil {
		return nil, fmt.Errorf("forward: -L %s: %w", s, err)
	}
	u := &udpForward{c: c, pc: pc, host: s.Host, port: s.Port, srcs: map[string]*udpChannel{}, quit: make(chan struct{})}
	f := &LocalForward{Spec: s, addr: pc.LocalAddr(), stop: u.stop}
	c.onClose(u.stop)
	c.go_(func() { u.run(ctx) })
	c.go_(func() { u.sweep() })
	return f, nil
}

func (u *udpForward) stop() {
	if u.closed.Swap(true) {
		return
	}
	close(u.quit)
	_ = u.pc.Close()
	u.mu.Lock()
	for _, s := range u.srcs {
		_ = s.ch.Close()
	}
	u.mu.Unlock()
}

func (u *udpForward) run(ctx context.Context) {
	buf := make([]byte, udpBufSize)
	for {
		n, src, err := u.pc.ReadFrom(buf)
		if err != nil {
			if u.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s := u.source(ctx, src)
		if s == nil {
			continue
		}
		s.touch()
		sendDatagram(s.ch, buf[:n], &u.c.Stats)
	}
}

// source finds or opens the channel of src.
func (u *udpForward) source(ctx context.Context, src net.Addr) *udpChannel {
	key := src.String()
	u.mu.Lock()
	s := u.srcs[key]
	n := len(u.srcs)
	u.mu.Unlock()
	if s != nil {
		return s
	}
	if n >= MaxUDPSources {
		u.c.Stats.Add(ReasonSources)
		return nil
	}
	a, err := u.c.targetAddress(ctx, u.host, u.port)
	if err != nil {
		u.c.Stats.Add(ReasonDialFailed)
		return nil
	}
	var self *udpChannel
	s, err = u.c.openUDP(ctx, a, func(p []byte) { _, _ = u.pc.WriteTo(p, src) }, func(error) {
		u.mu.Lock()
		if u.srcs[key] == self {
			delete(u.srcs, key)
		}
		u.mu.Unlock()
	})
	if err != nil {
		if err != errReported {
			u.c.Stats.Add(ReasonOpenFailed)
		}
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	self = s
	select {
	case <-s.done: // already refused or ended
	default:
		u.srcs[key] = s
	}
	return s
}

// sweep closes the channels of idle sources.
func (u *udpForward) sweep() {
	t := time.NewTicker(UDPIdleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-u.quit:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-UDPIdleTimeout).UnixNano()
		u.mu.Lock()
		for _, s := range u.srcs {
			if s.last.Load() < cutoff {
				_ = s.ch.Close()
			}
		}
		u.mu.Unlock()
	}
}
