package frame

import "github.com/ssh3-project/ssh3/wire"

// OpenFailure is CHANNEL_OPEN_FAILURE (92): the acceptor refuses the channel
// and then FINs the stream (§3.4, G2). Reason is one of the Reason* codes.
type OpenFailure struct {
	Reason      uint64
	Description string // UTF-8
	Language    string
}

func (m *OpenFailure) Type() MsgType { return MsgOpenFailure }

func (m *OpenFailure) Len(*Profile) int {
	return typeLen(MsgOpenFailure) + varLen(m.Reason) + strLen(len(m.Description)) + strLen(len(m.Language))
}

func (m *OpenFailure) Append(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("CHANNEL_OPEN_FAILURE", m.Reason); err != nil {
		return b, err
	}
	if err := checkUTF8("CHANNEL_OPEN_FAILURE", m.Description); err != nil {
		return b, err
	}
	b = appendType(b, MsgOpenFailure)
	b = wire.AppendVarint(b, m.Reason)
	b = wire.AppendString(b, m.Description)
	return wire.AppendString(b, m.Language), nil
}

func parseOpenFailure(d *decoder, _ *Profile) Message {
	return &OpenFailure{
		Reason:      d.varint("reason"),
		Description: d.utf8("description"),
		Language:    d.string("language"),
	}
}
