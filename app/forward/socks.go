package forward

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// socksHandshakeTimeout bounds a SOCKS client's greeting and request.
const socksHandshakeTimeout = 30 * time.Second

// SOCKS constants (RFC 1928; SOCKS4 and 4a).
const (
	socks5Version = 5
	socks4Version = 4

	cmdConnect      = 1
	cmdBind         = 2
	cmdUDPAssociate = 3

	atypIPv4   = 1
	atypDomain = 3
	atypIPv6   = 4

	repSucceeded          = 0
	repGeneralFailure     = 1
	repCommandUnsupported = 7
	repAddressUnsupported = 8
)

var errSOCKS = errors.New("forward: malformed SOCKS request")

// ListenSOCKS starts a -D forward: a SOCKS5 (CONNECT, UDP ASSOCIATE) and
// SOCKS4/4a (CONNECT) proxy whose connections leave from the server.
func (c *Client) ListenSOCKS(ctx context.Context, s Spec) (*LocalForward, error) {
	ln, err := net.Listen("tcp", s.BindAddr("127.0.0.1"))
	if err != nil {
		return nil, fmt.Errorf("forward: -D %s: %w", s.BindAddr("127.0.0.1"), err)
	}
	f := &LocalForward{Spec: s, addr: ln.Addr(), stop: func() { _ = ln.Close() }}
	c.onClose(f.stop)
	c.go_(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c.go_(func() { c.serveSOCKS(ctx, nc) })
		}
	})
	return f, nil
}

// socksTarget is a SOCKS destination: an IP or a name, and a port.
type socksTarget struct {
	ip   netip.Addr
	name string
	port uint16
}

func (t socksTarget) host() string {
	if t.name != "" {
		return t.name
	}
	return t.ip.String()
}

func (c *Client) serveSOCKS(ctx context.Context, nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(socksHandshakeTimeout))
	br := bufio.NewReaderSize(nc, 512)
	ver, err := br.ReadByte()
	if err != nil {
		_ = nc.Close()
		return
	}
	switch ver {
	case socks5Version:
		err = c.socks5(ctx, nc, br)
	case socks4Version:
		err = c.socks4(ctx, nc, br)
	default:
		err = errSOCKS
	}
	if err != nil {
		if errors.Is(err, errSOCKS) {
			c.Stats.Add(ReasonSOCKS)
		}
		c.log().Debug("forward: SOCKS request refused", "err", err)
		_ = nc.Close()
	}
}

// bufferedConn reads what the handshake's reader still holds first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *bufferedConn) CloseWrite() error {
	if hc, ok := b.Conn.(halfCloser); ok {
		return hc.CloseWrite()
	}
	return nil
}

func (c *Client) socks5(ctx context.Context, nc net.Conn, br *bufio.Reader) error {
	n, err := br.ReadByte()
	if err != nil {
		return errSOCKS
	}
	methods := make([]byte, n)
	if _, err := io.ReadFull(br, methods); err != nil {
		return errSOCKS
	}
	noAuth := false
	for _, m := range methods {
		noAuth = noAuth || m == 0
	}
	if !noAuth {
		_, _ = nc.Write([]byte{socks5Version, 0xff})
		c.Stats.Add(ReasonSOCKSRefused)
		return errors.New("forward: SOCKS client offers no acceptable method")
	}
	if _, err := nc.Write([]byte{socks5Version, 0}); err != nil {
		return err
	}
	var hdr [3]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || hdr[0] != socks5Version || hdr[2] != 0 {
		return errSOCKS
	}
	t, rep, err := readSOCKS5Addr(br)
	if err != nil {
		if rep != 0 {
			c.Stats.Add(ReasonSOCKSRefused)
			socks5Reply(nc, rep, netip.AddrPort{})
			return fmt.Errorf("forward: SOCKS address type refused")
		}
		return err
	}
	switch hdr[1] {
	case cmdConnect:
		_ = nc.SetDeadline(time.Time{})
		return c.socksConnect(ctx, &bufferedConn{nc, br}, t, func(ok bool) {
			rep := byte(repSucceeded)
			if !ok {
				rep = repGeneralFailure
			}
			socks5Reply(nc, rep, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		})
	case cmdUDPAssociate:
		_ = nc.SetDeadline(time.Time{})
		return c.socksUDP(ctx, nc, br)
	}
	c.Stats.Add(ReasonSOCKSRefused)
	socks5Reply(nc, repCommandUnsupported, netip.AddrPort{})
	return fmt.Errorf("forward: SOCKS command %d not supported", hdr[1])
}

// readSOCKS5Addr reads ATYP, address and port. An unknown address type
// gives the reply code to send.
func readSOCKS5Addr(r io.Reader) (socksTarget, byte, error) {
	var t socksTarget
	var atyp [1]byte
	if _, err := io.ReadFull(r, atyp[:]); err != nil {
		return t, 0, errSOCKS
	}
	switch atyp[0] {
	case atypIPv4:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return t, 0, errSOCKS
		}
		t.ip = netip.AddrFrom4(b)
	case atypIPv6:
		var b [16]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return t, 0, errSOCKS
		}
		t.ip = netip.AddrFrom16(b)
	case atypDomain:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil || l[0] == 0 {
			return t, 0, errSOCKS
		}
		name := make([]byte, l[0])
		if _, err := io.ReadFull(r, name); err != nil {
			return t, 0, errSOCKS
		}
		t.name = string(name)
		// An address literal is an address; one with a zone (fe80::1%eth0)
		// names an interface of this host, meaningless to the server.
		if ip, err := netip.ParseAddr(t.name); err == nil && ip.Zone() == "" {
			t.ip, t.name = ip, ""
		}
	default:
		return t, repAddressUnsupported, errSOCKS
	}
	var p [2]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return t, 0, errSOCKS
	}
	t.port = binary.BigEndian.Uint16(p[:])
	return t, 0, nil
}

func appendSOCKS5Addr(b []byte, ap netip.AddrPort) []byte {
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		a := ip.As4()
		b = append(append(b, atypIPv4), a[:]...)
	} else {
		a := ip.As16()
		b = append(append(b, atypIPv6), a[:]...)
	}
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

func socks5Reply(w io.Writer, rep byte, bound netip.AddrPort) {
	if !bound.IsValid() {
		bound = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	_, _ = w.Write(appendSOCKS5Addr([]byte{socks5Version, rep, 0}, bound))
}

// socksConnect opens a direct-tcp channel to t and relays. In ssh3-alpha
// the reply waits for the server's confirmation, so a refused target is a
// SOCKS failure; an rth3-00 channel has no confirmation (G4), so there a
// refused target shows as a connection closed after the success reply.
func (c *Client) socksConnect(ctx context.Context, nc net.Conn, t socksTarget, reply func(ok bool)) error {
	a, err := c.targetAddress(ctx, t.host(), int(t.port))
	if err != nil {
		reply(false)
		_ = nc.Close()
		return nil
	}
	ch, err := c.Conv.OpenChannel(ctx, frame.ChannelDirectTCP, &a)
	if err != nil {
		c.Stats.Add(ReasonOpenFailed)
		reply(false)
		_ = nc.Close()
		return nil
	}
	if !ch.Raw() {
		if err := ch.AwaitConfirmation(); err != nil {
			if msg := describeOpenFailure(err); msg != "" {
				c.Stats.Add(ReasonOpenFailed)
				c.notify("channel %d: open failed: %s (to %s)", ch.ID(), msg, a.String())
			}
			ch.Abort(conn.CodeRequestCancelled)
			reply(false)
			_ = nc.Close()
			return nil
		}
	}
	reply(true)
	c.relayReport(nc, ch, a.String())
	return nil
}

// socks4 serves SOCKS4 and 4a CONNECT.
func (c *Client) socks4(ctx context.Context, nc net.Conn, br *bufio.Reader) error {
	var hdr [7]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return errSOCKS
	}
	if _, err := readCString(br); err != nil { // user ID, ignored
		return err
	}
	t := socksTarget{port: binary.BigEndian.Uint16(hdr[1:3]), ip: netip.AddrFrom4([4]byte(hdr[3:7]))}
	if hdr[3] == 0 && hdr[4] == 0 && hdr[5] == 0 && hdr[6] != 0 { // 4a: a name follows
		name, err := readCString(br)
		if err != nil || name == "" {
			return errSOCKS
		}
		t.name = name
	}
	reply := func(ok bool) {
		code := byte(0x5b)
		if ok {
			code = 0x5a
		}
		_, _ = nc.Write([]byte{0, code, 0, 0, 0, 0, 0, 0})
	}
	if hdr[0] != cmdConnect {
		c.Stats.Add(ReasonSOCKSRefused)
		reply(false)
		return fmt.Errorf("forward: SOCKS4 command %d not supported", hdr[0])
	}
	_ = nc.SetDeadline(time.Time{})
	return c.socksConnect(ctx, &bufferedConn{nc, br}, t, reply)
}

// readCString reads a NUL-terminated string of at most 255 bytes.
func readCString(br *bufio.Reader) (string, error) {
	var b []byte
	for len(b) <= 255 {
		c, err := br.ReadByte()
		if err != nil {
			return "", errSOCKS
		}
		if c == 0 {
			return string(b), nil
		}
		b = append(b, c)
	}
	return "", errSOCKS
}

// socksUDP serves a UDP ASSOCIATE: a relay socket next to the control
// connection; each (client source, target) pair gets a direct-udp channel,
// and the association ends with the control connection (RFC 1928 §7).
func (c *Client) socksUDP(ctx context.Context, ctrl net.Conn, br *bufio.Reader) error {
	defer ctrl.Close()
	lip := ctrl.LocalAddr().(*net.TCPAddr).IP
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: lip})
	if err != nil {
		socks5Reply(ctrl, repGeneralFailure, netip.AddrPort{})
		return nil
	}
	bound := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	socks5Reply(ctrl, repSucceeded, bound)
	clientIP := ctrl.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
	r := &socksRelay{c: c, pc: pc, clientIP: clientIP, chans: map[string]*udpChannel{}}
	go func() {
		_, _ = io.Copy(io.Discard, br) // the association lives as long as this
		_ = pc.Close()
	}()
	r.run(ctx)
	r.closeAll()
	return nil
}

// socksRelay is one UDP association.
type socksRelay struct {
	c        *Client
	pc       *net.UDPConn
	clientIP netip.Addr
	chans    map[string]*udpChannel // by client source + target; used by run only
}

func (r *socksRelay) run(ctx context.Context) {
	buf := make([]byte, udpBufSize)
	for {
		n, src, err := r.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if src.Addr().Unmap() != r.clientIP {
			r.c.Stats.Add(ReasonSOCKS)
			continue
		}
		p := buf[:n]
		if len(p) < 4 || p[0] != 0 || p[1] != 0 || p[2] != 0 { // fragments are not supported
			r.c.Stats.Add(ReasonSOCKS)
			continue
		}
		br := &sliceReader{b: p[3:]}
		t, _, err := readSOCKS5Addr(br)
		if err != nil {
			r.c.Stats.Add(ReasonSOCKS)
			continue
		}
		hdrLen := n - len(br.b)
		u := r.channel(ctx, src, t, append([]byte(nil), p[:hdrLen]...))
		if u == nil {
			continue
		}
		u.touch()
		sendDatagram(u.ch, br.b, &r.c.Stats)
	}
}

func (r *socksRelay) channel(ctx context.Context, src netip.AddrPort, t socksTarget, hdr []byte) *udpChannel {
	key := src.String() + "|" + t.host() + ":" + strconv.Itoa(int(t.port))
	if u := r.chans[key]; u != nil {
		select {
		case <-u.done:
			delete(r.chans, key)
		default:
			return u
		}
	}
	if len(r.chans) >= MaxUDPSources {
		r.c.Stats.Add(ReasonSources)
		return nil
	}
	a, err := r.c.targetAddress(ctx, t.host(), int(t.port))
	if err != nil {
		r.c.Stats.Add(ReasonDialFailed)
		return nil
	}
	u, err := r.c.openUDP(ctx, a, func(p []byte) {
		// Replies carry the target's address as the client named it.
		_, _ = r.pc.WriteToUDPAddrPort(append(hdr[:len(hdr):len(hdr)], p...), src)
	}, nil)
	if err != nil {
		r.c.Stats.Add(ReasonOpenFailed)
		return nil
	}
	r.chans[key] = u
	return u
}

func (r *socksRelay) closeAll() {
	for _, u := range r.chans {
		_ = u.ch.Close()
	}
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
