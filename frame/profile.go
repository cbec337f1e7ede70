package frame

import "fmt"

// Profile carries everything that differs between the two wire images
// (spec/SPEC.md §1). The two values are [Alpha] and [RTH300]; compare
// profiles by pointer.
type Profile struct {
	name     string
	protocol string // the :protocol token of the Extended CONNECT
	signal   uint64 // the first varint of every channel stream

	confirmWindow          bool // 91 carries initial window before max message size (G2)
	confirmedMaxBinds      bool // the opener keeps to the maximum the acceptor's 91 announces (N3)
	rawTCP                 bool // direct-tcp and reverse-tcp accept channels carry raw bytes (G4)
	quarterStreamDatagrams bool // RFC 9297 QSID prefix instead of conversation + channel (§3.7)
	hostNames              bool // address family 0 (a host name) is allowed (G3)
	serverOpensChannels    bool // agent-connection channels are opened by the server (§5.3)
	requireConnectSetting  bool // the client waits for SETTINGS_ENABLE_CONNECT_PROTOCOL (H-9220-1)
	legacyClaims           bool // JWT carries iss, aud=unused, client_id (§4.2)
	subjectPrefix          string
	fixedSubject           string
	baseline               Caps   // what any peer of this profile survives (§6.3)
	oversize               uint64 // bytes past the announced maximum a peer of this profile sends (§3.5)
}

// Alpha is the ssh3-alpha profile: the byte-exact wire image of
// francoismichel/ssh3 v0.1.7.
var Alpha = &Profile{
	name:                "ssh3-alpha",
	protocol:            "ssh3",
	signal:              0xaf3627e6,
	serverOpensChannels: true,
	legacyClaims:        true,
	fixedSubject:        "ssh3",
	baseline:            0,
	oversize:            3,
}

// RTH300 is the rth3-00 profile: draft-michel-remote-terminal-http3-00 with
// the gap decisions of spec/SPEC.md §7.
var RTH300 = &Profile{
	name:                   "rth3-00",
	protocol:               "remote-terminal",
	signal:                 0x5e67730e,
	confirmWindow:          true,
	confirmedMaxBinds:      true,
	rawTCP:                 true,
	quarterStreamDatagrams: true,
	hostNames:              true,
	requireConnectSetting:  true,
	subjectPrefix:          "remote-terminal-",
	baseline:               AllCaps,
}

// Profiles lists every profile, the default first.
func Profiles() []*Profile { return []*Profile{Alpha, RTH300} }

// ProfileByName finds a profile by its name ("ssh3-alpha", "rth3-00").
func ProfileByName(name string) (*Profile, error) {
	for _, p := range Profiles() {
		if p.name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("frame: unknown profile %q (want ssh3-alpha or rth3-00)", name)
}

// ProfileByProtocol finds the profile whose :protocol token is token.
func ProfileByProtocol(token string) (*Profile, bool) {
	for _, p := range Profiles() {
		if p.protocol == token {
			return p, true
		}
	}
	return nil, false
}

// ProfileBySignal finds the profile whose channel signal is v.
func ProfileBySignal(v uint64) (*Profile, bool) {
	for _, p := range Profiles() {
		if p.signal == v {
			return p, true
		}
	}
	return nil, false
}

// Name is the profile's name, as used in flags and reports.
func (p *Profile) Name() string   { return p.name }
func (p *Profile) String() string { return p.name }

// Protocol is the :protocol token of the profile's Extended CONNECT.
func (p *Profile) Protocol() string { return p.protocol }

// Signal is the value every channel stream starts with, written as an
// 8-byte varint.
func (p *Profile) Signal() uint64 { return p.signal }

// RawTCP reports whether TCP forwarding channels carry raw bytes right after
// the header, with no confirmation and no messages (rth3-00, G4), rather
// than CHANNEL_DATA messages after a confirmation (ssh3-alpha).
func (p *Profile) RawTCP() bool { return p.rawTCP }

// ConfirmedMaxBinds reports whether an opener keeps to the maximum message
// size the acceptor announces in 91, and so, until that 91 arrives, cuts
// data to the floor [MinMaxMessageSize] (rth3-00, N3). A ssh3-alpha
// acceptor takes 30000 whatever its 91 says: the reference ignores the
// value and announces 30000.
func (p *Profile) ConfirmedMaxBinds() bool { return p.confirmedMaxBinds }

// DatagramsNameConversation reports whether a datagram names its
// conversation and channel by full stream ID (ssh3-alpha) rather than the
// channel's quarter stream ID alone (rth3-00).
func (p *Profile) DatagramsNameConversation() bool { return !p.quarterStreamDatagrams }

// HostNameTargets reports whether forwarding targets may be host names
// (address family 0, G3).
func (p *Profile) HostNameTargets() bool { return p.hostNames }

// ServerOpensChannels reports whether the server opens channels of its own
// (ssh3-alpha agent-connection channels). In rth3-00 only clients open
// streams (RFC 9114 §6.1), and the G6 design is used for agents.
func (p *Profile) ServerOpensChannels() bool { return p.serverOpensChannels }

// RequiresConnectSetting reports whether a client must see
// SETTINGS_ENABLE_CONNECT_PROTOCOL=1 before it sends :protocol (RFC 9220).
// A ssh3-alpha client must not wait for it: the reference server never
// sends it.
func (p *Profile) RequiresConnectSetting() bool { return p.requireConnectSetting }

// TokenSubject is the JWT `sub` claim for user.
func (p *Profile) TokenSubject(user string) string {
	if p.fixedSubject != "" {
		return p.fixedSubject
	}
	return p.subjectPrefix + user
}

// LegacyClaims reports whether tokens carry the ssh3-alpha claims `iss` (the
// user), `aud` ("unused") and `client_id` ("ssh3-<user>").
func (p *Profile) LegacyClaims() bool { return p.legacyClaims }

// Baseline is what any peer of this profile is known to survive, before its
// capabilities are detected (§6.3).
func (p *Profile) Baseline() Caps { return p.baseline }

// AcceptedSize is the largest message taken from a peer of this profile
// when this side announced max. The reference cuts its data chunks as if
// their length field were one byte long, so a full chunk is over the
// maximum by the rest of that field: 3 bytes at 30,000 (a 4-byte length,
// 30,003 bytes in all), 1 at 1,024 (§3.5). A ssh3-alpha reader takes them.
// What this side sends always keeps to the strict maximum.
func (p *Profile) AcceptedSize(max uint64) uint64 { return max + p.oversize }
