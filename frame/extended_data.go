package frame

import "github.com/ssh3-project/ssh3/wire"

// ExtendedData is CHANNEL_EXTENDED_DATA (95); DataType 1 is stderr (§3.5).
type ExtendedData struct {
	DataType uint64
	Data     []byte
}

func (m *ExtendedData) Type() MsgType { return MsgExtendedData }

func (m *ExtendedData) Len(*Profile) int {
	return typeLen(MsgExtendedData) + varLen(m.DataType) + strLen(len(m.Data))
}

func (m *ExtendedData) Append(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("CHANNEL_EXTENDED_DATA", m.DataType); err != nil {
		return b, err
	}
	b = wire.AppendVarint(appendType(b, MsgExtendedData), m.DataType)
	return wire.AppendBytes(b, m.Data), nil
}

func parseExtendedData(d *decoder, _ *Profile) Message {
	return &ExtendedData{DataType: d.varint("data type"), Data: d.bytes("data")}
}
