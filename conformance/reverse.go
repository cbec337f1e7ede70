package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/frame"
)

// Reverse forwarding (spec/SPEC.md §5.5, G5): P-G5-1 to P-G5-6. The suite
// opens listener channels bound to the target's loopback and connects to
// the bound port itself, so every check needs a target on loopback.

const reverseLocalOnly = "the suite connects to the bound port on the target's loopback"

// listener is a reverse listener channel the suite opened; its messages
// are read in the background so that waits have their own limits.
type listener struct {
	*Chan
	cv   *Conv
	in   <-chan msgOrErr
	Port uint64 // from reverse-bound
	seen []string
}

var errNoMessage = errors.New("no message within the time limit")

// listen opens a listener channel of typ (reverse-tcp or reverse-udp) on
// cv, bound to 127.0.0.1 port 0, and waits for its reverse-bound. refused
// is the target's 92 when it refused.
func listen(cv *Conv, typ string) (l *listener, refused *frame.OpenFailure, err error) {
	bind := frame.IPAddress(netip.MustParseAddrPort("127.0.0.1:0"))
	ch, err := cv.Open(typ, &frame.ReverseListen{Bind: bind})
	if err != nil {
		return nil, nil, err
	}
	l = &listener{Chan: ch, cv: cv, in: ch.pump()}
	for {
		m, err := l.next(5 * time.Second)
		if err != nil {
			return nil, nil, fmt.Errorf("after messages [%s]: %w", strings.Join(l.seen, ","), err)
		}
		switch m := m.(type) {
		case *frame.OpenFailure:
			return nil, m, nil
		case *frame.ReverseBound:
			l.Port = m.Port
			l.seen[len(l.seen)-1] = fmt.Sprintf("reverse-bound port %d", m.Port)
			return l, nil, nil
		}
	}
}

// next is the listener channel's next message within d.
func (l *listener) next(d time.Duration) (frame.Message, error) {
	timer := time.NewTimer(max(d, 0))
	defer timer.Stop()
	select {
	case r, ok := <-l.in:
		if !ok {
			return nil, errors.New("the listener channel had already ended")
		}
		if r.err == nil {
			l.seen = append(l.seen, fmt.Sprint(uint64(r.m.Type())))
		}
		return r.m, r.err
	case <-timer.C:
		return nil, errNoMessage
	}
}

// incoming waits up to d for the next reverse-incoming.
func (l *listener) incoming(d time.Duration) (*frame.ReverseIncoming, error) {
	deadline := time.Now().Add(d)
	for {
		m, err := l.next(time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if in, ok := m.(*frame.ReverseIncoming); ok {
			return in, nil
		}
	}
}

// accept opens the accept channel for connection c.
func (l *listener) accept(c uint64) (*Chan, error) {
	return l.cv.Open(l.Type, &frame.ReverseAccept{Listener: l.ID(), Connection: c})
}

// refusedAccept opens an accept channel for connection c and describes how
// it was refused; ok when it was refused as §5.5 step 4 says (raw: reset
// 0x10b; message channel: 92 reason 1).
func (l *listener) refusedAccept(t *T, c uint64) (string, bool) {
	b := header(t.p, l.cv.ID(), l.Type, &frame.ReverseAccept{Listener: l.ID(), Connection: c}, frame.DefaultMaxMessageSize)
	desc, _ := t.refusedWithin(l.cv.C, b, false, 4*time.Second)
	if l.Type == frame.ChannelReverseTCP && t.p.RawTCP() {
		return desc, desc == "reset "+CodeName(0x10b)
	}
	return desc, desc == "92 reason 1"
}

// dialPort connects to the bound port on loopback; the connection is
// closed at cleanup.
func (t *T) dialPort(port uint64) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second)
	if err != nil {
		return nil, err
	}
	t.onCleanup(func() { c.Close() })
	return c, nil
}

// readN reads n bytes from c within d.
func readN(c net.Conn, n int, d time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, n)
	k, err := io.ReadFull(c, buf)
	return buf[:k], err
}

// closedWithin reports whether the peer closed c (EOF or reset) within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !IsTimeout(err)
}

func localPort(c net.Conn) uint16 { return uint16(c.LocalAddr().(*net.TCPAddr).Port) }

// reverseConv is the prelude of the reverse checks: they are skipped
// unless the target is on loopback; then a conversation (nil when the check
// has already been reported).
func (t *T) reverseConv() *Conv {
	if !t.s.local {
		t.skip(reverseLocalOnly)
		return nil
	}
	return t.mustConv()
}

// mustListen is reverseConv, then a reverse-tcp listener; nil when the
// check has already been reported (skipped when the target refused the
// listener: there is nothing to observe).
func (t *T) mustListen() *listener {
	cv := t.reverseConv()
	if cv == nil {
		return nil
	}
	l, refused, err := listen(cv, frame.ChannelReverseTCP)
	switch {
	case err != nil:
		t.fail("91, then reverse-bound", Describe(err))
	case refused != nil:
		t.skip(fmt.Sprintf("the target refused the listener (92 reason %d %q); nothing to observe", refused.Reason, refused.Description))
	}
	return l
}

// verdictWithoutSlow reports the check without its -slow part, saying so,
// unless -slow is set; it returns whether it reported.
func (t *T) verdictWithoutSlow(want string, obs, bad []string) bool {
	if t.s.cfg.Slow {
		return false
	}
	t.verdict(want+" (10 s hold: only with -slow)", append(obs, "the 10 s hold was not waited out (run with -slow)"), bad)
	return true
}

// checkReverseListener covers P-G5-1 to P-G5-3: a listener channel gets 91
// and reverse-bound; a TCP connection to the bound port is announced by
// reverse-incoming; an accept channel carries its bytes.
func checkReverseListener(t *T) {
	cv := t.reverseConv()
	if cv == nil {
		return
	}
	l, refused, err := listen(cv, frame.ChannelReverseTCP)
	switch {
	case err != nil:
		t.fail("91, then reverse-bound", Describe(err))
		return
	case refused != nil:
		t.expect(refused.Reason == frame.ReasonAdministrativelyProhibited || refused.Reason == frame.ReasonConnectFailed,
			"91 + reverse-bound, or 92 reason 1/2", fmt.Sprintf("92 reason %d %q", refused.Reason, refused.Description))
		return
	}
	obs := []string{strings.Join(l.seen, ", ")}
	tc, err := t.dialPort(l.Port)
	if err != nil {
		t.fail("the bound port accepts", joinObs(append(obs, err.Error())))
		return
	}
	inc, err := l.incoming(5 * time.Second)
	if err != nil {
		t.fail("reverse-incoming", joinObs(append(obs, Describe(err))))
		return
	}
	obs = append(obs, fmt.Sprintf("reverse-incoming connection %d from %s", inc.Connection, inc.Originator))
	acc, err := l.accept(inc.Connection)
	if err != nil {
		t.fail("accept channel", Describe(err))
		return
	}
	_ = acc.send([]byte("hello"))
	got, _ := readN(tc, 5, 3*time.Second)
	obs = append(obs, fmt.Sprintf("accept channel → the inbound TCP connection got %q", got))
	t.expect(string(got) == "hello", "91 + reverse-bound; reverse-incoming per connection; the accept channel carries it", joinObs(obs))
}

// checkReversePending covers P-G5-4. Without -slow: 48 inbound connections
// at once; the target announces up to its cap N and closes the rest at
// once, the announced ones stay pending and one of them can still be
// accepted. With -slow it also waits out the 10 s hold of the others.
func checkReversePending(t *T) {
	l := t.mustListen()
	if l == nil {
		return
	}
	const n = 48
	const look = 2500 * time.Millisecond
	byPort := map[uint16]net.Conn{}
	for range n {
		c, err := t.dialPort(l.Port)
		if err != nil {
			break
		}
		byPort[localPort(c)] = c
	}
	closed := map[uint16]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for port, c := range byPort {
		wg.Go(func() {
			if closedWithin(c, look) {
				mu.Lock()
				closed[port] = true
				mu.Unlock()
			}
		})
	}
	type announced struct {
		conn uint64
		at   time.Time
	}
	ann := map[uint16]announced{}
	var bad []string
	deadline := time.Now().Add(look)
	for {
		m, err := l.next(time.Until(deadline))
		if err != nil {
			if err != errNoMessage {
				bad = append(bad, "listener channel: "+Describe(err))
			}
			break
		}
		if in, ok := m.(*frame.ReverseIncoming); ok {
			ann[in.Originator.Port] = announced{in.Connection, time.Now()}
		}
	}
	wg.Wait()
	values := map[uint64]bool{}
	var openPorts []uint16
	for port := range byPort {
		a, isAnn := ann[port]
		switch {
		case closed[port] && isAnn:
			bad = append(bad, fmt.Sprintf("announced connection %d closed within %s", a.conn, look))
		case !closed[port] && !isAnn:
			bad = append(bad, fmt.Sprintf("connection from port %d neither announced nor closed", port))
		case isAnn:
			openPorts = append(openPorts, port)
		}
		if isAnn {
			if values[a.conn] {
				bad = append(bad, fmt.Sprintf("connection value %d announced twice", a.conn))
			}
			values[a.conn] = true
		}
	}
	sort.Slice(openPorts, func(i, j int) bool { return ann[openPorts[i]].at.Before(ann[openPorts[j]].at) })
	obs := []string{fmt.Sprintf("%d inbound connections at once: %d announced by reverse-incoming and kept open (the cap: N = %d), %d closed by the target within %s",
		len(byPort), len(openPorts), len(openPorts), len(closed), look)}
	if len(closed) == 0 {
		bad = append(bad, fmt.Sprintf("no connection closed: no cap up to %d", len(byPort)))
	}
	if len(openPorts) == 0 {
		bad = append(bad, "no connection announced")
		t.verdict("excess inbound connections closed at once; up to N announced and held", obs, bad)
		return
	}
	// The announced ones are still pending: the first can be accepted.
	first := openPorts[0]
	acc, err := l.accept(ann[first].conn)
	var got []byte
	if err == nil {
		_ = acc.send([]byte("kept"))
		got, err = readN(byPort[first], 4, 3*time.Second)
	}
	obs = append(obs, fmt.Sprintf("accept channel for pending connection %d → %q %s", ann[first].conn, got, Describe(err)))
	if string(got) != "kept" {
		bad = append(bad, "a pending connection could not be accepted")
	}
	want := "excess inbound connections closed at once, up to N announced and held; a held one can be accepted"
	if t.verdictWithoutSlow(want, obs, bad) {
		return
	}
	// -slow: every other announced connection is closed 10 s after its
	// announcement, and its accept channel is refused afterwards.
	var took []time.Duration
	for _, port := range openPorts[1:] {
		a := ann[port]
		wait := time.Until(a.at.Add(14 * time.Second))
		if !closedWithin(byPort[port], wait) {
			bad = append(bad, fmt.Sprintf("connection %d still open 14 s after its announcement", a.conn))
			continue
		}
		d := time.Since(a.at)
		took = append(took, d)
		if d < 8500*time.Millisecond {
			bad = append(bad, fmt.Sprintf("connection %d closed after %s, before 10 s", a.conn, d.Round(100*time.Millisecond)))
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	if len(took) > 0 {
		obs = append(obs, fmt.Sprintf("%d unaccepted connections closed %s to %s after their announcement", len(took),
			took[0].Round(100*time.Millisecond), took[len(took)-1].Round(100*time.Millisecond)))
	}
	if len(openPorts) > 1 {
		desc, ok := l.refusedAccept(t, ann[openPorts[1]].conn)
		obs = append(obs, "accept channel for an expired connection → "+desc)
		if !ok {
			bad = append(bad, "expired connection's accept channel → "+desc)
		}
	}
	t.verdict(want+"; the others closed 10 s after their announcement, their accept channels refused", obs, bad)
}

// checkReverseClose covers P-G5-5: FIN on the listener channel releases the
// port and drops the pending connection; an accepted one carries on.
func checkReverseClose(t *T) {
	l := t.mustListen()
	if l == nil {
		return
	}
	fail := func(what string, err error) { t.fail("an accepted and a pending connection", what+": "+Describe(err)) }
	a, err := t.dialPort(l.Port)
	if err != nil {
		fail("connect", err)
		return
	}
	inA, err := l.incoming(5 * time.Second)
	if err != nil {
		fail("reverse-incoming", err)
		return
	}
	accA, err := l.accept(inA.Connection)
	if err == nil {
		_ = accA.send([]byte("before"))
		_, err = readN(a, 6, 3*time.Second)
	}
	if err != nil {
		fail("accept channel", err)
		return
	}
	b, err := t.dialPort(l.Port)
	if err != nil {
		fail("connect", err)
		return
	}
	if _, err = l.incoming(5 * time.Second); err != nil {
		fail("reverse-incoming", err)
		return
	}
	var obs, bad []string
	obs = append(obs, fmt.Sprintf("port %d: connection %d accepted, a second one pending", l.Port, inA.Connection))
	_ = l.St.Close() // FIN: the listener's end (§5.5 step 5)
	end := "FIN"
	for {
		_, err := l.next(3 * time.Second)
		if err == io.EOF {
			break
		}
		if err != nil {
			end = Describe(err)
			break
		}
	}
	obs = append(obs, "listener channel → "+end)
	released := false
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", l.Port), time.Second)
		if err != nil {
			released = true
			obs = append(obs, fmt.Sprintf("a new TCP connect to the port → %v after %s", err, time.Since(start).Round(10*time.Millisecond)))
			break
		}
		c.Close()
		time.Sleep(100 * time.Millisecond)
	}
	if !released {
		bad = append(bad, "the port still accepts connections 3 s after the listener's FIN")
	}
	dropped := closedWithin(b, 3*time.Second)
	obs = append(obs, fmt.Sprintf("pending connection closed: %v", dropped))
	if !dropped {
		bad = append(bad, "the pending connection was not closed")
	}
	_ = accA.send([]byte("after"))
	got, err := readN(a, 5, 3*time.Second)
	_, _ = a.Write([]byte("back"))
	back, err2 := accA.recv(4)
	obs = append(obs, fmt.Sprintf("accepted connection: channel → TCP %q %s, TCP → channel %q %s", got, Describe(err), back, Describe(err2)))
	if string(got) != "after" || string(back) != "back" {
		bad = append(bad, "the accepted connection stopped")
	}
	t.verdict("FIN on the listener channel: the port refuses new connections, the pending connection is closed, the accepted one carries bytes both ways", obs, bad)
}

// checkReverseUDP covers P-G5-6: a reverse-udp listener; each new source
// address is announced once and gets its own accept channel, whose
// datagrams carry its packets both ways.
func checkReverseUDP(t *T) {
	cv := t.reverseConv()
	if cv == nil {
		return
	}
	const want = "91 + reverse-bound; a packet from a new source → reverse-incoming (once per source); the accept channel's 91, then datagrams naming it carry the packets both ways"
	l, refused, err := listen(cv, frame.ChannelReverseUDP)
	switch {
	case err != nil:
		t.fail(want, "listener: "+Describe(err))
		return
	case refused != nil && refused.Reason == frame.ReasonAdministrativelyProhibited:
		t.skip(fmt.Sprintf("the target refuses reverse-udp listeners by policy (92 reason 1 %q); nothing to observe", refused.Description))
		return
	case refused != nil:
		t.fail(want, fmt.Sprintf("listener refused: 92 reason %d %q", refused.Reason, refused.Description))
		return
	}
	var obs, bad []string
	obs = append(obs, strings.Join(l.seen, ", "))
	target := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(l.Port)}
	src := func() (*net.UDPConn, error) {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err == nil {
			t.onCleanup(func() { u.Close() })
		}
		return u, err
	}
	// announce sends from u until reverse-incoming comes (UDP may drop).
	announce := func(u *net.UDPConn, payload string) (*frame.ReverseIncoming, error) {
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			_, _ = u.WriteTo([]byte(payload), target)
			m, err := l.next(200 * time.Millisecond)
			if err == errNoMessage {
				continue
			}
			if err != nil {
				return nil, err
			}
			if in, ok := m.(*frame.ReverseIncoming); ok {
				return in, nil
			}
		}
		return nil, errNoMessage
	}
	u1, err := src()
	if err != nil {
		t.fail(want, err.Error())
		return
	}
	in1, err := announce(u1, "in-1")
	if err != nil {
		t.fail(want, joinObs(append(obs, "packet from a new source → "+Describe(err))))
		return
	}
	obs = append(obs, fmt.Sprintf("reverse-incoming connection %d from %s", in1.Connection, in1.Originator))
	if int(in1.Originator.Port) != u1.LocalAddr().(*net.UDPAddr).Port {
		bad = append(bad, fmt.Sprintf("originator %s, the source was %s", in1.Originator, u1.LocalAddr()))
	}
	acc, err := l.accept(in1.Connection)
	var first frame.Message
	if err == nil {
		first, err = acc.Read()
	}
	if _, ok := first.(*frame.OpenConfirmation); !ok || err != nil {
		t.fail(want, joinObs(append(obs, fmt.Sprintf("accept channel: %T %s", first, Describe(err)))))
		return
	}
	// Inbound: a packet from the source arrives as a datagram naming the
	// accept channel.
	prefix := datagramFor(t.p, cv.ID(), acc.ID(), nil)
	inbound := ""
	deadline := time.Now().Add(4 * time.Second)
	for inbound == "" && time.Now().Before(deadline) {
		_, _ = u1.WriteTo([]byte("in-2"), target)
		select {
		case d := <-cv.C.Datagrams:
			if bytes.HasPrefix(d, prefix) && bytes.HasPrefix(d[len(prefix):], []byte("in-")) {
				inbound = string(d[len(prefix):])
			}
		case <-time.After(200 * time.Millisecond):
		}
	}
	obs = append(obs, fmt.Sprintf("source → datagram naming the accept channel: %q", inbound))
	if inbound == "" {
		bad = append(bad, "no datagram naming the accept channel")
	}
	// Outbound: a datagram naming the accept channel reaches the source
	// from the bound port.
	out := datagramFor(t.p, cv.ID(), acc.ID(), []byte("out-1"))
	outbound := ""
	deadline = time.Now().Add(4 * time.Second)
	buf := make([]byte, 64)
	for outbound == "" && time.Now().Before(deadline) {
		_ = cv.C.QUIC.SendDatagram(out)
		_ = u1.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := u1.ReadFromUDP(buf)
		if err == nil && from.Port == int(l.Port) {
			outbound = string(buf[:n])
		}
	}
	obs = append(obs, fmt.Sprintf("datagram naming the accept channel → the source got %q", outbound))
	if outbound != "out-1" {
		bad = append(bad, "the source did not get the accept channel's datagram")
	}
	// A second source is a new connection; the first is not announced
	// again.
	u2, err := src()
	if err != nil {
		t.fail(want, err.Error())
		return
	}
	in2, err := announce(u2, "in-3")
	if err != nil {
		bad = append(bad, "second source: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("second source → reverse-incoming connection %d from %s", in2.Connection, in2.Originator))
		if in2.Connection == in1.Connection || int(in2.Originator.Port) != u2.LocalAddr().(*net.UDPAddr).Port {
			bad = append(bad, "the second source was not announced as a new connection")
		}
	}
	t.verdict(want, obs, bad)
}
