package forward

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Limits of a reverse-udp source waiting for its accept channel (§5.5): its
// packets are held, at most this many and this many bytes; the excess is
// dropped and counted as queue-full.
const (
	MaxHeldPackets = 64
	MaxHeldBytes   = 256 << 10
)

// udpSource is one source address of a reverse-udp listener: pending (ch
// nil, packets held) until its accept channel comes, then attached.
type udpSource struct {
	id     uint64
	addr   netip.AddrPort
	held   [][]byte // guarded by the listener's mu
	heldN  int      // bytes in held; guarded by the listener's mu
	ch     *conn.Channel
	cancel context.CancelFunc // ends the accept channel's relay; set with ch
	last   atomic.Int64       // unix nanoseconds of the last packet either way
}

func (s *udpSource) touch() { s.last.Store(time.Now().UnixNano()) }

// udpListener is a server-side reverse-udp listener channel. Its accept
// channels share its socket, so they end with it.
type udpListener struct {
	s  *Server
	ch *conn.Channel
	pc *net.UDPConn

	mu     sync.Mutex // guards next, srcs, byID, pending, the sources' held/ch/cancel, closed
	next   uint64
	srcs   map[netip.AddrPort]*udpSource
	byID   map[uint64]*udpSource // pending sources only
	closed bool
	quit   chan struct{} // closed by close
}

// ServeReverseUDP serves both roles of a reverse-udp channel (G5, §5.5): a
// listener (role 0) binds a UDP socket and announces each new source
// address; an accept channel (role 1) carries one source's packets as
// datagrams.
func (s *Server) ServeReverseUDP(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	switch x := ch.Header().Extra.(type) {
	case *frame.ReverseListen:
		s.serveUDPListener(c, ch, &x.Bind)
	case *frame.ReverseAccept:
		s.serveUDPAccept(ctx, c, ch, x)
	default:
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBadHeader, "no reverse role")
	}
}

func (s *Server) serveUDPListener(c *conn.Conversation, ch *conn.Channel, bind *frame.Address) {
	switch {
	case s.Policy.DisableReverse || s.Policy.DisableUDP || !s.Policy.allowsPortForwarding(c) || privileged(c, bind.Port):
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonPolicy, "remote forwarding of udp "+bind.String()+" is not permitted")
		return
	case !c.PeerDatagrams():
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonNoDatagrams, "datagrams are not enabled")
		return
	}
	ua, err := net.ResolveUDPAddr("udp", s.Policy.bindAddr(bind))
	var pc *net.UDPConn
	if err == nil {
		pc, err = net.ListenUDP("udp", ua)
	}
	if err != nil {
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBindFailed, err.Error())
		return
	}
	l := &udpListener{s: s, ch: ch, pc: pc, srcs: map[netip.AddrPort]*udpSource{},
		byID: map[uint64]*udpSource{}, quit: make(chan struct{})}
	key := listenerKey{c, ch.ID()}
	s.mu.Lock()
	if s.udpListeners == nil {
		s.udpListeners = map[listenerKey]*udpListener{}
	}
	s.udpListeners[key] = l
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.udpListeners, key)
		s.mu.Unlock()
		l.close()
	}()
	port := uint64(pc.LocalAddr().(*net.UDPAddr).Port)
	if ch.Confirm() != nil || ch.WriteMessage(&frame.ReverseBound{Port: port}) != nil {
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	go l.readLoop()
	go l.sweep(UDPIdleTimeout)
	_ = drainStream(ch) // the listener lives as long as its channel (§5.5 step 5)
	_ = ch.Close()
}

// readLoop reads the socket: a packet of an attached source goes out on
// its accept channel, one of a pending source is held, and a new source is
// announced with reverse-incoming.
func (l *udpListener) readLoop() {
	buf := make([]byte, udpBufSize)
	for {
		n, addr, err := l.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		ch, announce := l.route(addr, buf[:n])
		if ch != nil {
			sendDatagram(ch, buf[:n], &l.s.Stats)
		}
		if announce != nil {
			in := &frame.ReverseIncoming{Connection: announce.id, Originator: frame.IPAddress(netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port()))}
			if err := l.ch.WriteMessage(in); err != nil {
				l.close()
				return
			}
		}
	}
}

// route finds what to do with a packet from addr: the accept channel to
// send it on, or the new source to announce (its packet held), or nothing
// (held or dropped, and counted).
func (l *udpListener) route(addr netip.AddrPort, p []byte) (*conn.Channel, *udpSource) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil
	}
	src := l.srcs[addr]
	if src != nil && src.ch != nil {
		src.touch()
		return src.ch, nil
	}
	var announce *udpSource
	if src == nil {
		switch {
		case len(l.byID) >= MaxPendingPerListener:
			l.s.Stats.Add(ReasonPendingFull)
			return nil, nil
		case len(l.srcs) >= MaxUDPSources:
			l.s.Stats.Add(ReasonSources)
			return nil, nil
		}
		l.next++
		src = &udpSource{id: l.next, addr: addr}
		src.touch()
		l.srcs[addr], l.byID[src.id] = src, src
		l.expire(src)
		announce = src
	}
	if len(src.held) >= MaxHeldPackets || src.heldN+len(p) > MaxHeldBytes {
		l.s.Stats.Add(ReasonQueueFull)
		return nil, announce
	}
	src.held = append(src.held, append([]byte(nil), p...))
	src.heldN += len(p)
	return nil, announce
}

// expire forgets src if no accept channel has come for it within the hold
// time; its held packets are dropped. A later packet from the same address
// is a new source.
func (l *udpListener) expire(src *udpSource) {
	hold := l.s.Policy.ReverseHold
	if hold <= 0 {
		hold = ReverseHoldTime
	}
	time.AfterFunc(hold, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.byID[src.id] == src {
			delete(l.byID, src.id)
			delete(l.srcs, src.addr)
			l.s.Stats.Add(ReasonPendingExpiry)
		}
	})
}

// attach gives a pending source its accept channel and sends what was
// held, in order: the read loop waits on mu meanwhile.
func (l *udpListener) attach(id uint64, ch *conn.Channel, cancel context.CancelFunc) *udpSource {
	l.mu.Lock()
	defer l.mu.Unlock()
	src := l.byID[id]
	if src == nil || l.closed {
		return nil
	}
	delete(l.byID, id)
	src.ch, src.cancel = ch, cancel
	for _, p := range src.held {
		sendDatagram(ch, p, &l.s.Stats)
	}
	src.held, src.heldN = nil, 0
	src.touch()
	return src
}

// pending reports whether id names a source waiting for its accept channel.
func (l *udpListener) pending(id uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id] != nil && !l.closed
}

// detach forgets an attached source: its next packet is a new source.
func (l *udpListener) detach(src *udpSource) {
	l.mu.Lock()
	if l.srcs[src.addr] == src {
		delete(l.srcs, src.addr)
	}
	l.mu.Unlock()
}

// sweep ends the accept channels of sources idle for idle, as the -L UDP
// forward does (§5.2).
func (l *udpListener) sweep(idle time.Duration) {
	t := time.NewTicker(idle / 4)
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-idle).UnixNano()
		l.mu.Lock()
		for _, src := range l.srcs {
			if src.cancel != nil && src.last.Load() < cutoff {
				src.cancel()
			}
		}
		l.mu.Unlock()
	}
}

// close releases the socket, drops every pending source and ends every
// accept channel (they have no socket left).
func (l *udpListener) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.quit)
	srcs := l.srcs
	l.srcs, l.byID = map[netip.AddrPort]*udpSource{}, map[uint64]*udpSource{}
	l.mu.Unlock()
	_ = l.pc.Close()
	for _, src := range srcs {
		if src.cancel != nil {
			src.cancel()
		}
	}
}

func (s *Server) serveUDPAccept(ctx context.Context, c *conn.Conversation, ch *conn.Channel, x *frame.ReverseAccept) {
	s.mu.Lock()
	l := s.udpListeners[listenerKey{c, x.Listener}]
	s.mu.Unlock()
	if l == nil || !l.pending(x.Connection) {
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonUnknownConn, "no such pending source")
		return
	}
	if err := ch.Confirm(); err != nil {
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := l.attach(x.Connection, ch, cancel)
	if src == nil { // expired or closed since the check: end at once
		_ = ch.Close()
		return
	}
	go func() {
		_ = drainStream(ch)
		cancel()
	}()
	for {
		p, err := ch.ReceiveDatagram(ctx)
		if err != nil {
			break
		}
		src.touch()
		if _, err := l.pc.WriteToUDPAddrPort(p, src.addr); err != nil && ctx.Err() == nil {
			s.Stats.Add(ReasonSendFailed)
		}
	}
	l.detach(src) // before the channel is forgotten: a later packet is a new source
	s.Stats.AddN(ReasonQueueFull, ch.DroppedDatagrams())
	_ = ch.Close()
}
