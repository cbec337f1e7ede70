package frame_test

import (
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// TestChannelKinds: which channels carry datagrams (UDP channels, but not
// a reverse-udp listener) and which carry raw bytes (rth3-00's TCP and agent
// channels only).
func TestChannelKinds(t *testing.T) {
	accept := &frame.ReverseAccept{Listener: 4, Connection: 1}
	for _, tc := range []struct {
		h               frame.ChannelHeader
		dgrams          bool
		rawAlpha, rawRT bool
	}{
		{frame.ChannelHeader{Type: frame.ChannelDirectUDP}, true, false, false},
		{frame.ChannelHeader{Type: frame.ChannelReverseUDP, Extra: accept}, true, false, false},
		{frame.ChannelHeader{Type: frame.ChannelReverseUDP, Extra: &frame.ReverseListen{}}, false, false, false},
		{frame.ChannelHeader{Type: frame.ChannelReverseTCP, Extra: accept}, false, false, true},
		{frame.ChannelHeader{Type: frame.ChannelReverseTCP, Extra: &frame.ReverseListen{}}, false, false, false},
		{frame.ChannelHeader{Type: frame.ChannelDirectTCP}, false, false, true},
		{frame.ChannelHeader{Type: frame.ChannelAgentConnection}, false, false, true},
		{frame.ChannelHeader{Type: frame.ChannelSession}, false, false, false},
	} {
		if got := tc.h.CarriesDatagrams(); got != tc.dgrams {
			t.Errorf("%s %T: CarriesDatagrams %v, want %v", tc.h.Type, tc.h.Extra, got, tc.dgrams)
		}
		if got := frame.Alpha.RawChannel(&tc.h); got != tc.rawAlpha {
			t.Errorf("%s %T: ssh3-alpha RawChannel %v, want %v", tc.h.Type, tc.h.Extra, got, tc.rawAlpha)
		}
		if got := frame.RTH300.RawChannel(&tc.h); got != tc.rawRT {
			t.Errorf("%s %T: rth3-00 RawChannel %v, want %v", tc.h.Type, tc.h.Extra, got, tc.rawRT)
		}
	}
}
