package conformance

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// datagramChecks cover HTTP datagrams (spec/SPEC.md §2.2, §3.7, G7):
// R-4.1.3-2, X-ROB-28, X-ROB-29, H-9297-1, H-9297-2.
func datagramChecks() []def {
	return []def{
		{ID: "R-4.1.3-2", Name: "UDPInDatagrams", run: checkUDPDatagrams},
		{ID: "X-ROB-28", Name: "ForeignDatagramsDropped", run: checkForeignDatagrams, Harmful: true},
		{ID: "X-ROB-29", Name: "DatagramFloodAbsorbed", run: checkDatagramFlood, Harmful: true},
		{ID: "H-9297-1", Name: "BadDatagramSettingClosed", run: checkBadDatagramSetting, Harmful: true},
		{ID: "H-9297-2", Name: "BadQuarterStreamIDClosed", run: checkBadQSID, Harmful: true},
	}
}

// openUDP opens a direct-udp channel to addr and waits for its 91.
func openUDP(t *T, cv *Conv, addr frame.Address) (*Chan, string, error) {
	ch, err := cv.Open(frame.ChannelDirectUDP, &addr)
	if err != nil {
		return nil, "", err
	}
	m, err := ch.Read()
	if err != nil {
		return nil, "", err
	}
	if f, ok := m.(*frame.OpenFailure); ok {
		return nil, "", fmt.Errorf("92 reason %d %q", f.Reason, f.Description)
	}
	if _, ok := m.(*frame.OpenConfirmation); !ok {
		return nil, "", fmt.Errorf("first message %d, not 91", m.Type())
	}
	return ch, "91", nil
}

// datagramFor builds a datagram of cv's profile for channel ch.
func datagramFor(p *frame.Profile, conv, ch uint64, payload []byte) []byte {
	b, err := p.AppendDatagram(nil, frame.Datagram{Conversation: conv, Channel: ch, Payload: payload})
	if err != nil {
		panic(err)
	}
	return b
}

// awaitDatagram sends d until a datagram equal to want arrives (UDP may
// drop), or the time runs out; it returns what arrived meanwhile.
func awaitDatagram(t *T, c *H3Conn, d, want []byte, wait time.Duration) (bool, [][]byte) {
	deadline := time.After(wait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var seen [][]byte
	_ = c.QUIC.SendDatagram(d)
	for {
		select {
		case got := <-c.Datagrams:
			seen = append(seen, got)
			if bytes.Equal(got, want) {
				return true, seen
			}
		case <-tick.C:
			_ = c.QUIC.SendDatagram(d)
		case <-deadline:
			return false, seen
		case <-t.ctx.Done():
			return false, seen
		}
	}
}

// udpRoundTrip sends payload through a direct-udp channel to addr and
// expects the echo under the same prefix.
func udpRoundTrip(t *T, cv *Conv, addr frame.Address, payload []byte) (bool, string) {
	ch, _, err := openUDP(t, cv, addr)
	if err != nil {
		return false, Describe(err)
	}
	d := datagramFor(t.p, cv.ID(), ch.ID(), payload)
	ok, seen := awaitDatagram(t, cv.C, d, d, 3*time.Second)
	if ok {
		return true, fmt.Sprintf("echo under the same prefix: % x", d)
	}
	return false, fmt.Sprintf("sent % x, received %d other datagrams %x", d, len(seen), seen)
}

func checkUDPDatagrams(t *T) {
	cv := t.echoConv("the suite's UDP echo is on its loopback; a remote target cannot reach it")
	if cv == nil {
		return
	}
	_, udp := echoAddrs(t.s)
	ok, desc := udpRoundTrip(t, cv, udp, []byte("dgram"))
	want := "rth3-00: QSID = channel ID ÷ 4, then the payload; the echo comes back under the same QSID"
	if t.p == frame.Alpha {
		want = "ssh3-alpha: conversation ID, channel ID (full), payload; the echo under the same prefix"
	}
	t.expect(ok, want, desc)
}

func checkForeignDatagrams(t *T) {
	cv, ch := t.echoChannel(frame.ChannelDirectUDP, "needs a UDP channel to the suite's loopback echo")
	if ch == nil {
		return
	}
	session, err := cv.Open(frame.ChannelSession, nil)
	if err != nil {
		t.fail("session", Describe(err))
		return
	}
	var obs, bad []string
	strays := [][]byte{
		datagramFor(t.p, cv.ID(), ch.ID()+400, []byte("unknown-channel")),
		datagramFor(t.p, cv.ID(), session.ID(), []byte("session-channel")),
	}
	if t.p == frame.Alpha {
		strays = append(strays, datagramFor(t.p, cv.ID()+4, ch.ID(), []byte("other-conv")), []byte{}, []byte{0x40})
	}
	for _, d := range strays {
		_ = cv.C.QUIC.SendDatagram(d)
	}
	obs = append(obs, fmt.Sprintf("sent %d stray datagrams", len(strays)))
	good := datagramFor(t.p, cv.ID(), ch.ID(), []byte("good"))
	ok, seen := awaitDatagram(t, cv.C, good, good, 3*time.Second)
	for _, s := range seen {
		if bytes.Contains(s, []byte("channel")) || bytes.Contains(s, []byte("other-conv")) {
			bad = append(bad, fmt.Sprintf("a stray payload came back: %q", s))
		}
	}
	alive, cause := cv.C.Alive()
	obs = append(obs, fmt.Sprintf("channel still echoes: %v; connection up: %v %s", ok, alive, Describe(cause)))
	if !ok || !alive {
		bad = append(bad, "the channel or the connection did not survive")
	}
	t.verdict("stray datagrams dropped; the connection stays up and no channel receives them", obs, bad)
}

func checkDatagramFlood(t *T) {
	cv, ch := t.echoChannel(frame.ChannelDirectUDP, "needs a UDP channel to the suite's loopback echo")
	if ch == nil {
		return
	}
	d := datagramFor(t.p, cv.ID(), ch.ID(), bytes.Repeat([]byte("f"), 1000))
	sent := 0
	for i := 0; i < 10000; i++ {
		if cv.C.QUIC.SendDatagram(d) == nil {
			sent++
		}
	}
	time.Sleep(300 * time.Millisecond)
	for len(cv.C.Datagrams) > 0 {
		<-cv.C.Datagrams
	}
	good := datagramFor(t.p, cv.ID(), ch.ID(), []byte("after-flood"))
	ok, _ := awaitDatagram(t, cv.C, good, good, 4*time.Second)
	obs := fmt.Sprintf("%d of 10000 datagrams queued by QUIC; afterwards the channel echoes: %v", sent, ok)
	t.expect(ok, "excess dropped, the channel still forwards", obs)
}

// expectClose waits for the connection to be closed by the peer with code.
func expectClose(t *T, c *H3Conn, code uint64, wait time.Duration) (string, bool) {
	ctx, cancel := t.sub(wait)
	defer cancel()
	err, closed := c.WaitClosed(ctx)
	if !closed {
		return "connection still open after " + wait.String(), false
	}
	got, ok := CloseCode(err)
	return Describe(err), ok && got == code
}

func checkBadDatagramSetting(t *T) {
	var obs, bad []string
	c, err := t.dial(DialConfig{Settings: []Setting{{settingH3Datagram, 2}}})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	desc, ok := expectClose(t, c, 0x109, 3*time.Second)
	obs = append(obs, "H3_DATAGRAM=2 → "+desc)
	if !ok {
		bad = append(bad, "H3_DATAGRAM=2 → "+desc)
	}
	c2, err := t.dial(DialConfig{NoDatagrams: true})
	if err != nil {
		t.fail("handshake", Describe(err))
		return
	}
	desc, ok = expectClose(t, c2, 0x109, 3*time.Second)
	obs = append(obs, "H3_DATAGRAM=1 without the transport parameter → "+desc)
	if !ok {
		bad = append(bad, "H3_DATAGRAM=1 without the transport parameter → "+desc)
	}
	t.verdict("connection closed with H3_SETTINGS_ERROR (0x109) in both cases", obs, bad)
}

func checkBadQSID(t *T) {
	var obs, bad []string
	for _, k := range []struct {
		label string
		d     []byte
	}{{"QSID 2^60", wire.AppendVarintLen(nil, 1<<60, 8)}, {"empty datagram", []byte{}}} {
		cv := t.mustConv()
		if cv == nil {
			return
		}
		_ = cv.C.QUIC.SendDatagram(k.d)
		desc, ok := expectClose(t, cv.C, 0x33, 3*time.Second)
		obs = append(obs, k.label+" → "+desc)
		if !ok {
			bad = append(bad, k.label+" → "+desc)
		}
	}
	t.verdict("connection closed with H3_DATAGRAM_ERROR (0x33)", obs, bad)
}
