package frame

import "github.com/ssh3-project/ssh3/wire"

// UnknownMessage is a message number this package does not know. Messages
// carry no length, so nothing tells where its fields end: the decoder takes
// only the number, and the receiver should treat the rest of the channel as
// out of sync and close that channel alone (gap N1, X-ROB-23).
type UnknownMessage struct {
	MsgType MsgType
}

func (m *UnknownMessage) Type() MsgType    { return m.MsgType }
func (m *UnknownMessage) Len(*Profile) int { return varLen(uint64(m.MsgType)) }

// Append refuses a number this package knows: its fields would be missing.
func (m *UnknownMessage) Append(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("unknown message", uint64(m.MsgType)); err != nil {
		return b, err
	}
	if m.MsgType.Known() {
		return b, &ValueError{What: "unknown message", Reason: m.MsgType.String() + " is a known message: use its type"}
	}
	return wire.AppendVarint(b, uint64(m.MsgType)), nil
}
