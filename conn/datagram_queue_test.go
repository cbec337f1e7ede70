package conn

import (
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

// TestCarriesDatagrams: UDP channels get a datagram queue, a reverse-udp
// listener (which only announces sources) and every TCP or session channel
// do not.
func TestCarriesDatagrams(t *testing.T) {
	for _, tc := range []struct {
		h    frame.ChannelHeader
		want bool
	}{
		{frame.ChannelHeader{Type: frame.ChannelDirectUDP}, true},
		{frame.ChannelHeader{Type: frame.ChannelReverseUDP, Extra: &frame.ReverseAccept{Listener: 4, Connection: 1}}, true},
		{frame.ChannelHeader{Type: frame.ChannelReverseUDP, Extra: &frame.ReverseListen{}}, false},
		{frame.ChannelHeader{Type: frame.ChannelReverseTCP, Extra: &frame.ReverseAccept{Listener: 4, Connection: 1}}, false},
		{frame.ChannelHeader{Type: frame.ChannelDirectTCP}, false},
		{frame.ChannelHeader{Type: frame.ChannelSession}, false},
	} {
		if got := carriesDatagrams(&tc.h); got != tc.want {
			t.Errorf("carriesDatagrams(%s, %T) = %v, want %v", tc.h.Type, tc.h.Extra, got, tc.want)
		}
	}
}
