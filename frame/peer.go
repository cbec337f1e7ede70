package frame

// Peer is what one side knows of the other: its profile and the
// capabilities it announced. It decides what may be sent (§6.1, §6.3).
type Peer struct {
	Profile *Profile
	Caps    Caps
}

// NewPeer is a peer of profile p that announced caps; the profile's baseline
// is always included.
func NewPeer(p *Profile, caps Caps) Peer { return Peer{Profile: p, Caps: caps | p.baseline} }

// requestCaps names the capability a request needs towards a ssh3-alpha peer
// of unknown make; requests absent from the map need CapPrivate.
var requestCaps = map[string]Caps{
	ReqPtyReq:          0,
	ReqShell:           0,
	ReqExec:            0,
	ReqSignal:          0,
	ReqExitStatus:      0,
	ReqExitSignal:      0,
	ReqWindowChange:    CapWinch,
	ReqEnv:             CapEnv,
	ReqReverseBound:    CapReverse,
	ReqReverseIncoming: CapReverse,
}

// messageCaps names the capability a message number needs.
var messageCaps = map[MsgType]Caps{
	MsgOpenConfirmation: 0,
	MsgOpenFailure:      0,
	MsgData:             0,
	MsgExtendedData:     0,
	MsgRequest:          0,
	MsgEOF:              CapEOF,
	MsgClose:            CapClose,
	MsgSuccess:          CapReply,
	MsgFailure:          CapReply,
}

// MaySend reports whether m may be sent to this peer: a ssh3-alpha reference
// peer crashes or tears its conversation down on anything else (§6.1).
func (pe Peer) MaySend(m Message) bool {
	need, ok := messageCaps[m.Type()]
	if !ok {
		need = CapPrivate
	}
	if r, isReq := m.(Request); isReq {
		rn, known := requestCaps[r.Name()]
		if !known {
			rn = CapPrivate
		}
		need |= rn
	}
	return pe.Caps.Has(need)
}

// MayHalfClose reports whether stdin EOF may be sent as a FIN on the session
// channel; a ssh3-alpha reference server treats that FIN as an abort (§6.1).
func (pe Peer) MayHalfClose() bool { return pe.Caps.Has(CapEOF) }

// RepliesToRequests reports whether want-reply is answered with 99/100.
func (pe Peer) RepliesToRequests() bool { return pe.Caps.Has(CapReply) }
