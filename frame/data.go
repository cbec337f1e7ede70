package frame

import "github.com/ssh3-project/ssh3/wire"

// Data is CHANNEL_DATA (94): stdin, stdout, or forwarded bytes (§3.5).
type Data struct {
	Data []byte
}

// DataOverhead is the most a CHANNEL_DATA message adds to a payload whose
// length is below 2^30: use it to cut payloads to the peer's maximum.
const DataOverhead = 2 + 4

func (m *Data) Type() MsgType    { return MsgData }
func (m *Data) Len(*Profile) int { return typeLen(MsgData) + strLen(len(m.Data)) }

func (m *Data) Append(b []byte, _ *Profile) ([]byte, error) {
	return wire.AppendBytes(appendType(b, MsgData), m.Data), nil
}

func parseData(d *decoder, _ *Profile) Message {
	return &Data{Data: d.bytes("data")}
}

// MaxDataPayload is the largest payload a CHANNEL_DATA message of at most max
// bytes can carry.
func MaxDataPayload(max uint64) int {
	n := int(min(max, 1<<30)) - typeLen(MsgData)
	for n > 0 && typeLen(MsgData)+strLen(n) > int(max) {
		n--
	}
	return max0(n)
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}
