package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Reverse forwarding limits (G5, §5.5).
const (
	// ReverseHoldTime is how long an inbound connection waits for its
	// accept channel.
	ReverseHoldTime = 10 * time.Second
	// MaxPendingPerListener caps the inbound connections waiting for an
	// accept channel; the excess is closed at once.
	MaxPendingPerListener = 16
)

// reverseListener is a server-side reverse-tcp listener channel.
type reverseListener struct {
	s  *Server
	ch *conn.Channel
	ln net.Listener

	mu      sync.Mutex // guards next, pending and closed
	next    uint64
	pending map[uint64]net.Conn
	closed  bool
}

// ServeReverseTCP serves both roles of a reverse-tcp channel (G5): a
// listener (role 0) binds and announces inbound connections; an accept
// channel (role 1) carries one of them.
func (s *Server) ServeReverseTCP(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	switch x := ch.Header().Extra.(type) {
	case *frame.ReverseListen:
		s.serveListener(c, ch, &x.Bind)
	case *frame.ReverseAccept:
		s.serveAccept(c, ch, x)
	default:
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBadHeader, "no reverse role")
	}
}

// privileged reports a bind the account may not make: a port below 1024
// for anyone but root, as sshd decides.
func privileged(c *conn.Conversation, port uint16) bool {
	if port == 0 || port >= 1024 {
		return false
	}
	g, ok := c.Identity().Extra.(Grant)
	return !ok || !g.Superuser()
}

func (s *Server) serveListener(c *conn.Conversation, ch *conn.Channel, bind *frame.Address) {
	if s.Policy.DisableReverse || !s.Policy.allowsPortForwarding(c) || privileged(c, bind.Port) {
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonPolicy, "remote forwarding of "+bind.String()+" is not permitted")
		return
	}
	ln, err := net.Listen("tcp", s.Policy.bindAddr(bind))
	if err != nil {
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBindFailed, err.Error())
		return
	}
	l := &reverseListener{s: s, ch: ch, ln: ln, pending: map[uint64]net.Conn{}}
	key := listenerKey{c, ch.ID()}
	s.mu.Lock()
	if s.listeners == nil {
		s.listeners = map[listenerKey]*reverseListener{}
	}
	s.listeners[key] = l
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, key)
		s.mu.Unlock()
		l.close()
	}()
	port := uint64(ln.Addr().(*net.TCPAddr).Port)
	if ch.Confirm() != nil || ch.WriteMessage(&frame.ReverseBound{Port: port}) != nil {
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	go l.acceptLoop()
	_ = drainStream(ch) // the listener lives as long as its channel (§5.5 step 5)
	_ = ch.Close()
}

func (l *reverseListener) acceptLoop() {
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			return
		}
		id, ok := l.hold(nc)
		if !ok {
			continue
		}
		orig := frame.Address{Family: frame.FamilyIPv4, IP: netip.IPv4Unspecified()}
		if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
			orig = frame.IPAddress(ap)
		}
		if err := l.ch.WriteMessage(&frame.ReverseIncoming{Connection: id, Originator: orig}); err != nil {
			l.close()
			return
		}
	}
}

// hold parks nc until its accept channel comes, for at most
// ReverseHoldTime.
func (l *reverseListener) hold(nc net.Conn) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || len(l.pending) >= MaxPendingPerListener {
		l.s.Stats.Add(ReasonPendingFull)
		_ = nc.Close()
		return 0, false
	}
	l.next++
	id := l.next
	l.pending[id] = nc
	hold := l.s.Policy.ReverseHold
	if hold <= 0 {
		hold = ReverseHoldTime
	}
	time.AfterFunc(hold, func() {
		if nc := l.take(id); nc != nil {
			l.s.Stats.Add(ReasonPendingExpiry)
			_ = nc.Close()
		}
	})
	return id, true
}

// take removes a pending connection; nil if it is not (or no longer) there.
func (l *reverseListener) take(id uint64) net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	nc := l.pending[id]
	delete(l.pending, id)
	return nc
}

// close stops listening and drops every pending connection.
func (l *reverseListener) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	pend := l.pending
	l.pending = map[uint64]net.Conn{}
	l.mu.Unlock()
	_ = l.ln.Close()
	for _, nc := range pend {
		_ = nc.Close()
	}
}

// bindAddr is where a reverse listener binds: loopback unless GatewayPorts.
func (p *Policy) bindAddr(a *frame.Address) string {
	if p.GatewayPorts {
		return targetAddr(a)
	}
	host := "127.0.0.1"
	if a.Family == frame.FamilyIPv6 && !a.IP.Is4In6() {
		host = "::1"
	}
	if ip := a.AddrPort().Addr(); a.Family == frame.FamilyName && a.Host == "localhost" || ip.IsValid() && ip.IsLoopback() {
		return targetAddr(a)
	}
	return net.JoinHostPort(host, itoa16(a.Port))
}

func (s *Server) serveAccept(c *conn.Conversation, ch *conn.Channel, x *frame.ReverseAccept) {
	s.mu.Lock()
	l := s.listeners[listenerKey{c, x.Listener}]
	s.mu.Unlock()
	var nc net.Conn
	if l != nil {
		nc = l.take(x.Connection)
	}
	if nc == nil {
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonUnknownConn, "no such pending connection")
		return
	}
	if err := ch.Confirm(); err != nil {
		_ = nc.Close()
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	_ = Relay(nc, ch)
}

// RemoteForward is a running -R forward.
type RemoteForward struct {
	Spec Spec
	Port int // the port the server bound
	ch   *conn.Channel

	mu  sync.Mutex // guards udp
	udp map[*udpChannel]bool
}

// Close stops the server's listener; forwarded TCP connections go on,
// while UDP accept channels end with the listener's socket (§5.5).
func (f *RemoteForward) Close() { _ = f.ch.Close() }

// ErrNoReverse reports a server that does not do reverse forwarding: a
// ssh3-alpha peer that did not announce the reverse capability (§6.3).
var ErrNoReverse = errors.New("forward: the server does not support remote (-R) forwarding")

// ListenRemote starts a -R forward: the server listens on the spec's bind
// address and every connection it accepts (for UDP: every new source
// address) is carried to the local target (G5, §5.5). It returns once the
// server has bound. Call it after the conversation is established: in
// ssh3-alpha it needs the server's caps.
func (c *Client) ListenRemote(ctx context.Context, s Spec) (*RemoteForward, error) {
	typ := frame.ChannelReverseTCP
	switch s.Network {
	case "tcp":
	case "udp":
		typ = frame.ChannelReverseUDP
	default:
		return nil, fmt.Errorf("forward: -R %s: unknown network", s)
	}
	if !c.Conv.Peer().Caps.Has(frame.CapReverse) {
		return nil, ErrNoReverse
	}
	if typ == frame.ChannelReverseUDP && !c.Conv.PeerDatagrams() {
		return nil, fmt.Errorf("forward: -R %s: the server does not take datagrams", s)
	}
	host := s.BindHost
	switch host {
	case "":
		host = "127.0.0.1"
	case "*":
		host = "0.0.0.0"
	}
	bind, err := c.targetAddress(ctx, host, s.BindPort)
	if err != nil {
		return nil, err
	}
	ch, err := c.Conv.OpenChannel(ctx, typ, &frame.ReverseListen{Bind: bind})
	if err != nil {
		return nil, err
	}
	port, err := awaitBound(ctx, ch)
	if err != nil {
		ch.Abort(conn.CodeRequestCancelled)
		if msg := describeOpenFailure(err); msg != "" {
			return nil, fmt.Errorf("remote port forwarding failed for listen port %d: %s", s.BindPort, msg)
		}
		return nil, err
	}
	f := &RemoteForward{Spec: s, Port: port, ch: ch, udp: map[*udpChannel]bool{}}
	c.onClose(f.Close)
	c.go_(func() { c.serveIncoming(ctx, f) })
	return f, nil
}

// awaitBound reads the listener's confirmation and reverse-bound.
func awaitBound(ctx context.Context, ch *conn.Channel) (int, error) {
	type res struct {
		port int
		err  error
	}
	done := make(chan res, 1)
	go func() {
		for {
			m, err := ch.ReadMessage()
			if err != nil {
				done <- res{0, err}
				return
			}
			if b, ok := m.(*frame.ReverseBound); ok {
				done <- res{int(b.Port), nil}
				return
			}
		}
	}()
	select {
	case r := <-done:
		return r.port, r.err
	case <-ctx.Done():
		ch.Abort(conn.CodeRequestCancelled)
		<-done
		return 0, ctx.Err()
	}
}

// serveIncoming answers each reverse-incoming with an accept channel.
func (c *Client) serveIncoming(ctx context.Context, f *RemoteForward) {
	target := net.JoinHostPort(f.Spec.Host, strconv.Itoa(f.Spec.Port))
	if f.Spec.Network == "udp" {
		quit := make(chan struct{})
		defer close(quit)
		c.go_(func() { f.sweep(UDPIdleTimeout, quit) })
	}
	for {
		m, err := f.ch.ReadMessage()
		if err != nil {
			return
		}
		in, ok := m.(*frame.ReverseIncoming)
		if !ok {
			continue
		}
		id := in.Connection
		if f.Spec.Network == "udp" {
			c.go_(func() { c.acceptUDP(ctx, f, id, target) })
			continue
		}
		c.go_(func() { c.acceptIncoming(ctx, f.ch.ID(), id, target) })
	}
}

func (c *Client) acceptIncoming(ctx context.Context, listener, id uint64, target string) {
	ach, err := c.Conv.OpenChannel(ctx, frame.ChannelReverseTCP, &frame.ReverseAccept{Listener: listener, Connection: id})
	if err != nil {
		c.Stats.Add(ReasonOpenFailed)
		return
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	nc, err := d.DialContext(dctx, "tcp", target)
	cancel()
	if err != nil {
		c.Stats.Add(ReasonDialFailed)
		c.notify("connect to %s failed for a remote forward: %v", target, err)
		_ = ach.Flush()
		ach.Abort(conn.CodeConnectError)
		return
	}
	c.relayReport(nc, ach, target)
}

// acceptUDP carries one source of a reverse-udp listener: a UDP socket
// connected to the target, and an accept channel whose datagrams are
// relayed to and from it, one packet each.
func (c *Client) acceptUDP(ctx context.Context, f *RemoteForward, id uint64, target string) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	nc, err := d.DialContext(dctx, "udp", target)
	cancel()
	if err != nil {
		c.Stats.Add(ReasonDialFailed)
		c.notify("connect to %s failed for a remote forward: %v", target, err)
		return // the server drops the source after its hold time
	}
	defer nc.Close()
	ch, err := c.Conv.OpenChannel(ctx, frame.ChannelReverseUDP, &frame.ReverseAccept{Listener: f.ch.ID(), Connection: id})
	if err != nil {
		c.Stats.Add(ReasonOpenFailed)
		return
	}
	u, err := c.startUDP(ctx, ch, "remote udp forward to "+target,
		func(p []byte) { _, _ = nc.Write(p) }, func(error) { _ = nc.Close() })
	if err != nil {
		if err != errReported {
			c.Stats.Add(ReasonOpenFailed)
		}
		return
	}
	f.mu.Lock()
	f.udp[u] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.udp, u)
		f.mu.Unlock()
		_ = u.ch.Close()
	}()
	buf := make([]byte, udpBufSize)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-u.done:
				return
			default:
				continue // e.g. ICMP port unreachable from an earlier write
			}
		}
		u.touch()
		if !sendDatagram(u.ch, buf[:n], &c.Stats) {
			return
		}
	}
}

// sweep ends the accept channels idle for idle, until quit is closed.
func (f *RemoteForward) sweep(idle time.Duration, quit <-chan struct{}) {
	t := time.NewTicker(idle / 4)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-idle).UnixNano()
		f.mu.Lock()
		for u := range f.udp {
			if u.last.Load() < cutoff {
				_ = u.ch.Close()
			}
		}
		f.mu.Unlock()
	}
}
