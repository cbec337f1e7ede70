package conn

// datagramQueueLen bounds the datagrams waiting on one UDP channel; the
// excess is dropped and counted (X-ROB-29). It is twice quic-go's own
// receive queue (128 datagrams), so that a burst quic-go absorbed while the
// channel's reader was descheduled is not lost here (64 lost half of a
// 15,000-packet/s burst through -R udp on two cores).
const datagramQueueLen = 256

// datagramLoop is the one datagram reader of a connection (G7 Option A,
// §8.7): it parses the profile's prefix and hands the payload to its
// channel without ever blocking.
func (cs *connState) datagramLoop() {
	for {
		b, err := cs.qc.ReceiveDatagram(cs.qc.Context())
		if err != nil {
			return
		}
		cs.routeDatagram(b)
	}
}

// routeDatagram delivers one datagram. ssh3-alpha names conversation and
// channel by full stream ID; anything that does not name a UDP channel of a
// conversation on this connection is dropped. rth3-00 names the channel by
// quarter stream ID; a datagram without a valid one closes the connection
// with H3_DATAGRAM_ERROR (RFC 9297 §2.1, H-9297-2).
func (cs *connState) routeDatagram(b []byte) {
	cs.mu.Lock()
	p := cs.dgramProfile
	cs.mu.Unlock()
	if p == nil {
		cs.droppedDatagrams.Add(1)
		return
	}
	d, err := p.ParseDatagram(b)
	if err != nil {
		if !p.DatagramsNameConversation() {
			cs.closeWith(CodeDatagramError, "malformed quarter stream ID")
			return
		}
		cs.droppedDatagrams.Add(1)
		return
	}
	cs.mu.Lock()
	ch := cs.udp[d.Channel]
	cs.mu.Unlock()
	if ch == nil || (p.DatagramsNameConversation() && ch.conv.ID() != d.Conversation) {
		cs.droppedDatagrams.Add(1)
		return
	}
	ch.enqueueDatagram(d.Payload)
}

// enqueueDatagram queues a payload without blocking; a full queue drops it.
func (ch *Channel) enqueueDatagram(payload []byte) {
	select {
	case ch.dgrams <- payload:
	default:
		ch.droppedDatagrams.Add(1)
		ch.cs.droppedDatagrams.Add(1)
	}
}
