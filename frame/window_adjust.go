package frame

import "github.com/ssh3-project/ssh3/wire"

// WindowAdjust is CHANNEL_WINDOW_ADJUST (93). QUIC flow control governs SSH3
// channels, so it is accepted and ignored, and never sent; a ssh3-alpha
// reference peer crashes on it (§3.5).
type WindowAdjust struct {
	Bytes uint64
}

func (m *WindowAdjust) Type() MsgType    { return MsgWindowAdjust }
func (m *WindowAdjust) Len(*Profile) int { return typeLen(MsgWindowAdjust) + varLen(m.Bytes) }
func parseWindowAdjust(d *decoder, _ *Profile) Message {
	return &WindowAdjust{Bytes: d.varint("bytes to add")}
}

func (m *WindowAdjust) Append(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("CHANNEL_WINDOW_ADJUST", m.Bytes); err != nil {
		return b, err
	}
	return wire.AppendVarint(appendType(b, MsgWindowAdjust), m.Bytes), nil
}
