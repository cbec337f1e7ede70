// Package frame encodes and decodes everything SSH3 puts on a channel stream
// or in a datagram, for both wire profiles: ssh3-alpha (the wire image of
// francoismichel/ssh3 v0.1.7) and rth3-00 (draft-michel-remote-terminal-
// http3-00). It knows nothing of QUIC; it works on byte slices and readers.
//
// Everything that differs between the profiles lives in a [Profile] value, so
// the layers above never branch on a profile's name. Section numbers below
// refer to spec/SPEC.md, which follows the protocol notes:
//
//   - [ChannelHeader]: the signal value, conversation ID, channel type, maximum
//     message size and the type-specific fields (§3.2, §3.3; the address block
//     of §5.1 and gaps G3, G5, G6).
//   - [Message]: the SSH connection-protocol messages 91–100 with every
//     integer a QUIC varint (§3.5, gap G2). [ParseMessage] decodes one from a
//     byte slice; [Reader] decodes them from a stream.
//   - [Request]: the channel requests carried by message 98 (§3.6), each a
//     type of its own; names this package does not know decode to
//     [*UnknownRequest], message numbers it does not know to
//     [*UnknownMessage], so a peer's novelty never has to kill a channel.
//   - [Datagram]: the HTTP datagram layouts of §3.7 (gap G7).
//   - Version signalling (§2.4) and the capability field of §6.3 ([Caps]),
//     which together decide what a peer may be sent ([Peer.MaySend]).
//
// Messages carry no length on the wire, so a decoder that cannot know a
// message's fields (an unknown number or request name) assumes it has none;
// spec/SPEC.md records this decision (gap N1). Every length is bounded by the
// channel's maximum message size before any byte it announces is read.
package frame
