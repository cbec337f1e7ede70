package frame_test

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// The channel signals as 8-byte varints (§1, §3.2).
const (
	sigAlpha = `c0 00 00 00 af 36 27 e6`
	sigRTH   = `c0 00 00 00 5e 67 73 0e`
)

func signalOf(p *frame.Profile) string {
	if p == frame.Alpha {
		return sigAlpha
	}
	return sigRTH
}

// headerCase is a channel header and its bytes after the signal; a nil
// profile means both profiles give these bytes.
type headerCase struct {
	name string
	p    *frame.Profile
	h    frame.ChannelHeader
	wire string
}

func ipAddr(s string, port uint16) *frame.Address {
	a := frame.IPAddress(netip.AddrPortFrom(addr(s), port))
	return &a
}

func headerCases() []headerCase {
	mapped := &frame.Address{Family: frame.FamilyIPv6, IP: addr("::ffff:127.0.0.1"), Port: 8080}
	return []headerCase{
		{"session", nil, frame.ChannelHeader{Type: frame.ChannelSession, MaxMessageSize: 30000},
			`00 07 "session" 80 00 75 30`},
		{"session/conv4", nil, frame.ChannelHeader{Conversation: 4, Type: frame.ChannelSession, MaxMessageSize: 30000},
			`04 07 "session" 80 00 75 30`},
		{"session/conv-big", nil, frame.ChannelHeader{Conversation: 1 << 40, Type: frame.ChannelSession, MaxMessageSize: 256},
			`c0 00 01 00 00 00 00 00 07 "session" 41 00`},
		{"direct-tcp/mapped", nil, frame.ChannelHeader{Type: frame.ChannelDirectTCP, MaxMessageSize: 30000, Extra: mapped},
			`00 0a "direct-tcp" 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f 90`},
		{"direct-tcp/family4", nil, frame.ChannelHeader{Type: frame.ChannelDirectTCP, MaxMessageSize: 30000, Extra: ipAddr("127.0.0.1", 9099)},
			`00 0a "direct-tcp" 80 00 75 30 04 7f 00 00 01 23 8b`},
		{"direct-udp/ipv6", nil, frame.ChannelHeader{Type: frame.ChannelDirectUDP, MaxMessageSize: 30000, Extra: ipAddr("::1", 53)},
			`00 0a "direct-udp" 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 35`},
		{"direct-tcp/host-name", frame.RTH300, frame.ChannelHeader{Type: frame.ChannelDirectTCP, MaxMessageSize: 30000,
			Extra: &frame.Address{Family: frame.FamilyName, Host: "example.com", Port: 443}},
			`00 0a "direct-tcp" 80 00 75 30 00 0b "example.com" 01 bb`},
		{"direct-udp/host-name-utf8", frame.RTH300, frame.ChannelHeader{Type: frame.ChannelDirectUDP, MaxMessageSize: 30000,
			Extra: &frame.Address{Family: frame.FamilyName, Host: "bücher.example", Port: 53}},
			`00 0a "direct-udp" 80 00 75 30 00 0f "b" c3 bc "cher.example" 00 35`},
		{"reverse-tcp/listen-any", nil, frame.ChannelHeader{Type: frame.ChannelReverseTCP, MaxMessageSize: 30000,
			Extra: &frame.ReverseListen{Bind: *ipAddr("0.0.0.0", 0)}},
			`00 0b "reverse-tcp" 80 00 75 30 00 04 00 00 00 00 00 00`},
		{"reverse-tcp/listen-name", frame.RTH300, frame.ChannelHeader{Type: frame.ChannelReverseTCP, MaxMessageSize: 30000,
			Extra: &frame.ReverseListen{Bind: frame.NameAddress("localhost", 8022)}},
			`00 0b "reverse-tcp" 80 00 75 30 00 00 09 "localhost" 1f 56`},
		{"reverse-tcp/accept", nil, frame.ChannelHeader{Type: frame.ChannelReverseTCP, MaxMessageSize: 30000,
			Extra: &frame.ReverseAccept{Listener: 8, Connection: 5}},
			`00 0b "reverse-tcp" 80 00 75 30 01 08 05`},
		{"reverse-udp/listen", nil, frame.ChannelHeader{Type: frame.ChannelReverseUDP, MaxMessageSize: 30000,
			Extra: &frame.ReverseListen{Bind: *ipAddr("::", 5353)}},
			`00 0b "reverse-udp" 80 00 75 30 00 06 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 14 e9`},
		{"reverse-udp/accept", nil, frame.ChannelHeader{Type: frame.ChannelReverseUDP, MaxMessageSize: 30000,
			Extra: &frame.ReverseAccept{Listener: 12, Connection: 300}},
			`00 0b "reverse-udp" 80 00 75 30 01 0c 41 2c`},
		{"agent-connection/alpha", frame.Alpha, frame.ChannelHeader{Type: frame.ChannelAgentConnection, MaxMessageSize: 30000},
			`00 10 "agent-connection" 80 00 75 30`},
		{"agent-connection/rth3", frame.RTH300, frame.ChannelHeader{Type: frame.ChannelAgentConnection, MaxMessageSize: 30000,
			Extra: &frame.AgentAccept{Session: 4, Connection: 1}},
			`00 10 "agent-connection" 80 00 75 30 04 01`},
		{"x11", nil, frame.ChannelHeader{Type: frame.ChannelX11, MaxMessageSize: 30000}, `00 03 "x11" 80 00 75 30`},
		{"unknown-type", nil, frame.ChannelHeader{Type: "foo-bar", MaxMessageSize: 30000}, `00 07 "foo-bar" 80 00 75 30`},
		{"type-256", nil, frame.ChannelHeader{Type: strings.Repeat("t", 256), MaxMessageSize: 30000},
			`00 41 00 ` + strings.Repeat("74", 256) + ` 80 00 75 30`},
	}
}

func TestChannelHeaders(t *testing.T) {
	for _, c := range headerCases() {
		for _, p := range profiles(c.p) {
			t.Run(c.name+"/"+p.Name(), func(t *testing.T) {
				checkHeader(t, p, c.h, wireBytes(signalOf(p)+" "+c.wire))
			})
		}
	}
}

// TestChannelHeaderNotesExamples: the worked examples of §3.2, byte for byte.
func TestChannelHeaderNotesExamples(t *testing.T) {
	h := frame.ChannelHeader{Type: "session", MaxMessageSize: 30000}
	for p, want := range map[*frame.Profile]string{
		frame.Alpha:  "c0 00 00 00 af 36 27 e6 | 00 | 07 | 73 65 73 73 69 6f 6e | 80 00 75 30",
		frame.RTH300: "c0 00 00 00 5e 67 73 0e | 00 | 07 | 73 65 73 73 69 6f 6e | 80 00 75 30",
	} {
		got, err := h.Append(nil, p)
		if err != nil || !bytes.Equal(got, wireBytes(want)) {
			t.Errorf("%v: % x, %v", p, got, err)
		}
	}
}

// TestAddressUnmapped: the IPv4-mapped family 6 of the original client is
// seen by policy as IPv4 (§5.1, X-ROB-31).
func TestAddressUnmapped(t *testing.T) {
	h, _, _, err := frame.ParseChannelHeader(wireBytes(sigAlpha +
		`00 0a "direct-tcp" 80 00 75 30 06 00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01 1f 90`))
	if err != nil {
		t.Fatal(err)
	}
	a := h.Extra.(*frame.Address)
	if a.Family != frame.FamilyIPv6 || !a.IP.Is4In6() {
		t.Errorf("wire form not kept: %+v", a)
	}
	if ap := a.AddrPort(); ap != netip.MustParseAddrPort("127.0.0.1:8080") || !ap.Addr().Is4() {
		t.Errorf("AddrPort = %v", ap)
	}
	if s := a.String(); s != "127.0.0.1:8080" {
		t.Errorf("String = %q", s)
	}
	if a := frame.IPAddress(netip.MustParseAddrPort("[::ffff:10.0.0.1]:22")); a.Family != frame.FamilyIPv4 || a.IP != addr("10.0.0.1") {
		t.Errorf("IPAddress of a mapped address = %+v", a)
	}
	if a := frame.IPAddress(netip.MustParseAddrPort("[fe80::1%eth0]:22")); a.Family != frame.FamilyIPv6 || a.IP.Zone() != "" {
		t.Errorf("IPAddress keeps the zone: %+v", a)
	}
	for a, want := range map[frame.Address]string{
		frame.NameAddress("example.com", 443): "example.com:443",
		frame.NameAddress("::1", 22):          "[::1]:22",
		*ipAddr("2001:db8::1", 80):            "[2001:db8::1]:80",
	} {
		if a.String() != want {
			t.Errorf("String = %q, want %q", a.String(), want)
		}
	}
	if ap := frame.NameAddress("example.com", 1).AddrPort(); ap.IsValid() {
		t.Errorf("AddrPort of a name = %v", ap)
	}
}

// TestHostNamesAlpha: family 0 is refused in ssh3-alpha both ways (G3).
func TestHostNamesAlpha(t *testing.T) {
	for _, extra := range []frame.HeaderExtra{
		&frame.Address{Family: frame.FamilyName, Host: "example.com", Port: 443},
		&frame.ReverseListen{Bind: frame.NameAddress("localhost", 80)},
	} {
		typ := frame.ChannelDirectTCP
		if _, ok := extra.(*frame.ReverseListen); ok {
			typ = frame.ChannelReverseTCP
		}
		h := frame.ChannelHeader{Type: typ, MaxMessageSize: 30000, Extra: extra}
		var ve *frame.ValueError
		if _, err := h.Append(nil, frame.Alpha); !errors.As(err, &ve) {
			t.Errorf("Append of a host name in alpha: %v, want *ValueError", err)
		}
		b, err := h.Append(nil, frame.RTH300)
		if err != nil {
			t.Fatal(err)
		}
		// Swap the rth3-00 signal for the alpha one: alpha refuses the block.
		copy(b, wireBytes(sigAlpha))
		var fe *frame.FieldError
		if _, _, _, err := frame.ParseChannelHeader(b); !errors.As(err, &fe) {
			t.Errorf("alpha header with family 0: %v, want *FieldError", err)
		}
	}
}

// TestHeaderExtraMismatch: a header whose extra does not suit its type is
// refused by Append (a programmer error, reported, not a panic).
func TestHeaderExtraMismatch(t *testing.T) {
	cases := []struct {
		p *frame.Profile
		h frame.ChannelHeader
	}{
		{frame.Alpha, frame.ChannelHeader{Type: "session", MaxMessageSize: 1, Extra: ipAddr("1.2.3.4", 1)}},
		{frame.Alpha, frame.ChannelHeader{Type: "direct-tcp", MaxMessageSize: 1}},
		{frame.Alpha, frame.ChannelHeader{Type: "agent-connection", MaxMessageSize: 1, Extra: &frame.AgentAccept{}}},
		{frame.RTH300, frame.ChannelHeader{Type: "agent-connection", MaxMessageSize: 1}},
		{frame.RTH300, frame.ChannelHeader{Type: "reverse-tcp", MaxMessageSize: 1, Extra: ipAddr("1.2.3.4", 1)}},
		{frame.RTH300, frame.ChannelHeader{Type: "", MaxMessageSize: 1}},
		{frame.Alpha, frame.ChannelHeader{Type: "sess\xffion", MaxMessageSize: 1}},
		{frame.RTH300, frame.ChannelHeader{Type: strings.Repeat("x", 257), MaxMessageSize: 1}},
		{frame.RTH300, frame.ChannelHeader{Type: "session", Conversation: 1 << 62, MaxMessageSize: 1}},
		{frame.RTH300, frame.ChannelHeader{Type: "session", MaxMessageSize: 1 << 63}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyIPv4, IP: addr("::1")}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyIPv6, IP: addr("1.2.3.4")}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyIPv6}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: 5}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: 1 << 63}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyName}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyName, Host: strings.Repeat("h", 256)}}},
		{frame.RTH300, frame.ChannelHeader{Type: "direct-tcp", Extra: &frame.Address{Family: frame.FamilyName, Host: "\xff"}}},
		{frame.RTH300, frame.ChannelHeader{Type: "reverse-tcp", Extra: &frame.ReverseAccept{Listener: 1 << 62}}},
		{frame.RTH300, frame.ChannelHeader{Type: "reverse-tcp", Extra: &frame.ReverseListen{Bind: frame.Address{Family: 7}}}},
		{frame.RTH300, frame.ChannelHeader{Type: "agent-connection", Extra: &frame.AgentAccept{Connection: 1 << 62}}},
	}
	for i, c := range cases {
		noPanic(t, "Append", func() {
			_ = c.h.Len(c.p)
			got, err := c.h.Append([]byte{9}, c.p)
			var ve *frame.ValueError
			if !errors.As(err, &ve) {
				t.Errorf("case %d (%v %+v): err = %v, want *ValueError", i, c.p, c.h, err)
			}
			if !bytes.Equal(got, []byte{9}) {
				t.Errorf("case %d: Append wrote % x on error", i, got)
			}
		})
	}
}

func TestPeekSignal(t *testing.T) {
	for _, p := range frame.Profiles() {
		got, n, err := frame.PeekSignal(wireBytes(signalOf(p) + " 00"))
		if err != nil || got != p || n != 8 {
			t.Errorf("%v: PeekSignal = %v, %d, %v", p, got, n, err)
		}
		if q, ok := frame.ProfileBySignal(p.Signal()); !ok || q != p {
			t.Errorf("ProfileBySignal(%x) = %v", p.Signal(), q)
		}
	}
	// The signal value written on 4 bytes is still the signal (varints are
	// not canonical on decode); another value is an HTTP/3 frame type.
	if p, _, err := frame.PeekSignal(wireBytes(`80 00 00 01`)); err != frame.ErrNotChannel || p != nil {
		t.Errorf("PeekSignal(1) = %v, %v", p, err)
	}
	if _, _, err := frame.PeekSignal(wireBytes(`c0 00 00 00 af 36 27 e7`)); err != frame.ErrNotChannel {
		t.Errorf("PeekSignal(0xaf3627e7) = %v", err)
	}
}

func TestProfiles(t *testing.T) {
	if ps := frame.Profiles(); len(ps) != 2 || ps[0] != frame.Alpha || ps[1] != frame.RTH300 {
		t.Fatalf("Profiles = %v", ps)
	}
	for _, c := range []struct {
		p                                              *frame.Profile
		name, token                                    string
		signal                                         uint64
		raw, conv, names, serverOpens, connSet, legacy bool
		sub                                            string
		reqHdr, respHdr                                string
	}{
		{frame.Alpha, "ssh3-alpha", "ssh3", 0xaf3627e6, false, true, false, true, false, true, "ssh3", "user-agent", "server"},
		{frame.RTH300, "rth3-00", "remote-terminal", 0x5e67730e, true, false, true, false, true, false, "remote-terminal-alice", "remote-terminal-version", "remote-terminal-version"},
	} {
		p := c.p
		if p.Name() != c.name || p.String() != c.name || p.Protocol() != c.token || p.Signal() != c.signal ||
			p.RawTCP() != c.raw || p.DatagramsNameConversation() != c.conv || p.HostNameTargets() != c.names ||
			p.ServerOpensChannels() != c.serverOpens || p.RequiresConnectSetting() != c.connSet ||
			p.LegacyClaims() != c.legacy || p.TokenSubject("alice") != c.sub ||
			p.RequestVersionHeader() != c.reqHdr || p.ResponseVersionHeader() != c.respHdr {
			t.Errorf("%s: accessors disagree with §1", c.name)
		}
		if q, err := frame.ProfileByName(c.name); err != nil || q != p {
			t.Errorf("ProfileByName(%q) = %v, %v", c.name, q, err)
		}
		if q, ok := frame.ProfileByProtocol(c.token); !ok || q != p {
			t.Errorf("ProfileByProtocol(%q) = %v", c.token, q)
		}
	}
	if _, err := frame.ProfileByName("ssh3"); err == nil {
		t.Error("ProfileByName(ssh3) succeeded")
	}
	if _, ok := frame.ProfileByProtocol("connect-udp"); ok {
		t.Error("ProfileByProtocol(connect-udp) succeeded")
	}
	if frame.Alpha.Baseline() != 0 || frame.RTH300.Baseline() != frame.AllCaps {
		t.Error("baselines")
	}
}
