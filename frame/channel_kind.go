package frame

// CarriesDatagrams reports whether the channel exchanges HTTP datagrams: a
// UDP channel (direct-udp, a reverse-udp accept), but not a reverse-udp
// listener, which only announces sources (§3.7, §5.5).
func (h *ChannelHeader) CarriesDatagrams() bool {
	if _, listener := h.Extra.(*ReverseListen); listener {
		return false
	}
	return h.Type == ChannelDirectUDP || h.Type == ChannelReverseUDP
}

// RawChannel reports whether, in profile p, the channel carries raw bytes
// right after its header, with no confirmation and no messages: rth3-00's
// direct-tcp, agent-connection and reverse-tcp accept channels (G4, G6).
// Every other channel carries messages after a 91.
func (p *Profile) RawChannel(h *ChannelHeader) bool {
	if !p.rawTCP {
		return false
	}
	switch h.Type {
	case ChannelDirectTCP, ChannelAgentConnection:
		return true
	case ChannelReverseTCP:
		_, accept := h.Extra.(*ReverseAccept)
		return accept
	}
	return false
}
