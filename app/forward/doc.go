// Package forward carries TCP and UDP traffic through SSH3 channels: the
// server's handlers for direct-tcp, direct-udp, reverse-tcp and reverse-udp
// channels and for agent sockets, and the client's forwarders for -L, -R,
// -D, -A and -J (spec/SPEC.md §5).
//
// Framing follows the conversation's profile: ssh3-alpha TCP channels carry
// CHANNEL_DATA after a confirmation; rth3-00 TCP channels carry raw bytes
// after the header and report failures as stream resets (G4). UDP payloads
// travel as HTTP datagrams in the profile's layout (§3.7), one UDP packet
// each. Reverse forwarding uses the listener/accept design (G5): for
// reverse-udp each new source address of the server's socket gets its own
// accept channel, its packets held (bounded) until that channel comes.
// rth3-00 agent forwarding uses the client-opened design (G6), since an
// rth3-00 server never opens streams.
//
// Every refusal and every dropped packet is counted by reason in [Stats];
// nothing a peer or a local program sends makes this package panic, and one
// failing forward never stops the others.
package forward
