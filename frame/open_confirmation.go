package frame

import "github.com/ssh3-project/ssh3/wire"

// MaxWindow is the initial window an rth3-00 acceptor announces: QUIC flow
// control governs, so the window never stalls a peer that honours it (G2).
const MaxWindow = wire.MaxVarint

// OpenConfirmation is CHANNEL_OPEN_CONFIRMATION (91), written by the
// acceptor before it handles anything the opener pipelined (§3.4).
// ssh3-alpha carries max message size only; rth3-00 carries the initial
// window first (G2). Under ssh3-alpha InitialWindow is neither written nor
// read.
type OpenConfirmation struct {
	InitialWindow  uint64
	MaxMessageSize uint64
}

// NewOpenConfirmation is the confirmation this project sends: the maximum
// window and max, the largest message this side accepts.
func NewOpenConfirmation(max uint64) *OpenConfirmation {
	return &OpenConfirmation{InitialWindow: MaxWindow, MaxMessageSize: max}
}

func (m *OpenConfirmation) Type() MsgType { return MsgOpenConfirmation }

func (m *OpenConfirmation) Len(p *Profile) int {
	n := typeLen(MsgOpenConfirmation) + varLen(m.MaxMessageSize)
	if p.confirmWindow {
		n += varLen(m.InitialWindow)
	}
	return n
}

func (m *OpenConfirmation) Append(b []byte, p *Profile) ([]byte, error) {
	if err := checkVarints("CHANNEL_OPEN_CONFIRMATION", m.InitialWindow, m.MaxMessageSize); err != nil {
		return b, err
	}
	b = appendType(b, MsgOpenConfirmation)
	if p.confirmWindow {
		b = wire.AppendVarint(b, m.InitialWindow)
	}
	return wire.AppendVarint(b, m.MaxMessageSize), nil
}

func parseOpenConfirmation(d *decoder, p *Profile) Message {
	m := &OpenConfirmation{}
	if p.confirmWindow {
		m.InitialWindow = d.varint("initial window")
	}
	m.MaxMessageSize = d.varint("max message size")
	return m
}
