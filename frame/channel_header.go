package frame

import (
	"fmt"
	"io"

	"github.com/ssh3-project/ssh3/wire"
)

// Channel types (§3.3).
const (
	ChannelSession         = "session"
	ChannelDirectTCP       = "direct-tcp"
	ChannelDirectUDP       = "direct-udp"
	ChannelAgentConnection = "agent-connection"
	ChannelX11             = "x11"
	ChannelReverseTCP      = "reverse-tcp"
	ChannelReverseUDP      = "reverse-udp"
)

// MaxChannelTypeLen bounds the channel type string (X-ROB-20).
const MaxChannelTypeLen = 256

// DefaultMaxMessageSize is the size the original announces, and the size
// this project announces in ssh3-alpha (§3.4).
const DefaultMaxMessageSize = 30000

// MinMaxMessageSize is the smallest maximum message size accepted in a
// header or confirmation: below it not even a request fits.
const MinMaxMessageSize = 256

// MaxHeaderLen bounds a whole channel header: the signal, two varints, the
// type, and the largest type-specific fields.
const MaxHeaderLen = 8 + 8 + 2 + MaxChannelTypeLen + 8 + 8 + 8 + 8 + 2 + MaxHostNameLen + 2

// ChannelHeader opens a channel: the first bytes of its stream (§3.2). The
// channel ID is the stream's ID and is not carried.
type ChannelHeader struct {
	Conversation   uint64 // the stream ID of the CONNECT stream
	Type           string
	MaxMessageSize uint64 // the largest message the opener accepts
	Extra          HeaderExtra
}

// HeaderExtra is the type-specific part of a header: *Address for
// direct-tcp and direct-udp targets, *ReverseListen and *ReverseAccept for
// reverse-tcp and reverse-udp (G5), *AgentAccept for an rth3-00
// agent-connection (G6). Session headers, ssh3-alpha agent-connection
// headers and unknown types have none.
type HeaderExtra interface {
	appendExtra(b []byte, p *Profile) ([]byte, error)
	extraLen() int
}

// Len is the header's encoded length, signal included.
func (h *ChannelHeader) Len(*Profile) int {
	n := 8 + varLen(h.Conversation) + strLen(len(h.Type)) + varLen(h.MaxMessageSize)
	if h.Extra != nil {
		n += h.Extra.extraLen()
	}
	return n
}

// Append writes the header: the profile's signal as an 8-byte varint, then
// the fields. The extra must be the one the type calls for.
func (h *ChannelHeader) Append(b []byte, p *Profile) ([]byte, error) {
	if err := checkVarints("channel header", h.Conversation, h.MaxMessageSize); err != nil {
		return b, err
	}
	if len(h.Type) == 0 || len(h.Type) > MaxChannelTypeLen {
		return b, &ValueError{What: "channel header", Reason: fmt.Sprintf("channel type of %d bytes", len(h.Type))}
	}
	if err := checkUTF8("channel header", h.Type); err != nil {
		return b, err
	}
	if want, got := p.extraKind(h.Type), extraKindOf(h.Extra); want != got {
		return b, &ValueError{What: "channel header", Reason: fmt.Sprintf("%s channel in %s takes %s fields, not %s", h.Type, p, want, got)}
	}
	start := len(b)
	b = wire.AppendVarintLen(b, p.signal, 8)
	b = wire.AppendVarint(b, h.Conversation)
	b = wire.AppendString(b, h.Type)
	b = wire.AppendVarint(b, h.MaxMessageSize)
	if h.Extra == nil {
		return b, nil
	}
	nb, err := h.Extra.appendExtra(b, p)
	if err != nil {
		return b[:start], err // nothing of a refused header is written
	}
	return nb, nil
}

// PeekSignal reads the first varint of a stream and reports the profile
// whose signal it is. A varint that is no profile's signal is
// ErrNotChannel: the stream is an ordinary HTTP/3 request stream.
func PeekSignal(b []byte) (*Profile, int, error) {
	v, n, err := wire.ParseVarint(b)
	if err != nil {
		return nil, 0, err
	}
	p, ok := ProfileBySignal(v)
	if !ok {
		return nil, 0, ErrNotChannel
	}
	return p, n, nil
}

// ParseChannelHeader decodes a header from the front of b, signal included,
// and reports its profile (the signal tells). Empty input is io.EOF and a
// header cut short matches io.ErrUnexpectedEOF. The type string is bounded
// by MaxChannelTypeLen before anything it announces is read.
func ParseChannelHeader(b []byte) (ChannelHeader, *Profile, int, error) {
	if len(b) == 0 {
		return ChannelHeader{}, nil, 0, io.EOF
	}
	p, n, err := PeekSignal(b)
	if err != nil {
		return ChannelHeader{}, nil, 0, fieldErr("channel header", "signal", err)
	}
	d := newDecoder("channel header", b, MaxChannelTypeLen)
	d.n = n
	h := ChannelHeader{Conversation: d.varint("conversation ID")}
	h.Type = d.utf8("channel type")
	h.MaxMessageSize = d.varint("maximum message size")
	if d.err == nil && h.Type == "" {
		d.err = &FieldError{What: "channel header", Field: "channel type", Err: fmt.Errorf("empty")}
	}
	if d.err != nil {
		return ChannelHeader{}, nil, 0, d.err
	}
	h.Extra = p.parseExtra(d, h.Type)
	if d.err != nil {
		return ChannelHeader{}, nil, 0, d.err
	}
	return h, p, d.n, nil
}
