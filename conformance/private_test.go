package conformance

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// TestPrivateWatch: the watch allows a private request only on a channel
// where the suite asked for its feature, and counts the channels it read.
func TestPrivateWatch(t *testing.T) {
	s := &Suite{}
	tt := &T{s: s, p: frame.RTH300, c: &Check{ID: "X-1"}}
	ch := func(typ string, extra frame.HeaderExtra, asked bool) *Chan {
		c := &Chan{P: frame.RTH300, t: tt, Type: typ, Extra: extra}
		c.agentAsked.Store(asked)
		return c
	}
	bind := frame.IPAddress(netip.MustParseAddrPort("127.0.0.1:0"))
	listener := ch(frame.ChannelReverseTCP, &frame.ReverseListen{Bind: bind}, false)
	udpListener := ch(frame.ChannelReverseUDP, &frame.ReverseListen{Bind: bind}, false)
	accept := ch(frame.ChannelReverseTCP, &frame.ReverseAccept{Listener: 4, Connection: 1}, false)
	asked := ch(frame.ChannelSession, nil, true)
	plain := ch(frame.ChannelSession, nil, false)
	raw := ch("", nil, false)
	incoming := &frame.ReverseIncoming{Connection: 1, Originator: bind}
	cases := []struct {
		on      *Chan
		m       frame.Message
		allowed bool
	}{
		{listener, &frame.ReverseBound{Port: 1}, true},
		{listener, incoming, true},
		{udpListener, incoming, true},
		{accept, incoming, false},
		{plain, &frame.ReverseBound{Port: 1}, false},
		{asked, &frame.AgentIncoming{Connection: 1}, true},
		{plain, &frame.AgentIncoming{Connection: 1}, false},
		{listener, &frame.AgentIncoming{Connection: 1}, false},
		{raw, &frame.AgentIncoming{Connection: 1}, false},
		{asked, &frame.UnknownRequest{RequestName: "x-private@example.org"}, false},
	}
	for _, k := range cases {
		s.private.saw(k.on, k.m)
		s.private.saw(k.on, &frame.Data{Data: []byte("x")}) // not private: not recorded
	}
	seen, chans := s.private.snapshot(frame.RTH300.Name())
	if len(seen) != len(cases) {
		t.Fatalf("recorded %d private requests, want %d", len(seen), len(cases))
	}
	for i, k := range cases {
		if seen[i].allowed != k.allowed || seen[i].check != "X-1" {
			t.Errorf("case %d (%s on %q): allowed %v, want %v", i, seen[i].name, seen[i].chType, seen[i].allowed, k.allowed)
		}
	}
	if got := countList(chans); got != "(raw header) ×1, reverse-tcp ×2, reverse-udp ×1, session ×2" {
		t.Errorf("channels counted: %s", got)
	}
	if other, _ := s.private.snapshot(frame.Alpha.Name()); len(other) != 0 {
		t.Errorf("the other profile's record: %v", other)
	}
	if !strings.Contains(agentCommand(2), "q && q") {
		t.Errorf("agentCommand(2) = %q", agentCommand(2))
	}
}
