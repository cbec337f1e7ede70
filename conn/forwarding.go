package conn

// PeerDatagrams reports whether the peer can receive HTTP datagrams: it
// sent the QUIC max_datagram_frame_size transport parameter and, once its
// SETTINGS have arrived, H3_DATAGRAM=1 (§5.2, R-3-3). Before its SETTINGS
// arrive the transport parameter alone decides.
func (c *Conversation) PeerDatagrams() bool {
	if !c.cs.qc.ConnectionState().SupportsDatagrams.Remote {
		return false
	}
	select {
	case <-c.cs.ctrl.Received():
		return c.cs.ctrl.Settings().Datagrams
	default:
		return true
	}
}

// AwaitConfirmation waits for the acceptor's answer on a message channel
// this side opened: nil for CHANNEL_OPEN_CONFIRMATION, *OpenError for
// CHANNEL_OPEN_FAILURE. Later ReadMessage calls go on after it. A UDP
// forwarder uses it to send datagrams only once the peer knows the channel
// (datagrams that arrive before their channel are dropped, §3.7).
func (ch *Channel) AwaitConfirmation() error {
	if ch.raw {
		return ErrRawChannel
	}
	if !ch.opener {
		return ErrNotAllowed
	}
	if err := ch.flushHeader(); err != nil {
		return err
	}
	ch.rmu.Lock()
	defer ch.rmu.Unlock()
	if !ch.confirmed {
		if err := ch.readConfirmation(); err != nil {
			return err
		}
	}
	return ch.openErr
}
