package frame

import (
	"errors"
	"fmt"
	"io"

	"github.com/ssh3-project/ssh3/wire"
)

// MaxQuarterStreamID is the largest RFC 9297 Quarter Stream ID.
const MaxQuarterStreamID = 1<<60 - 1

// ErrDatagram is matched by every datagram that does not decode. For
// rth3-00 the receiver closes the connection with H3_DATAGRAM_ERROR (RFC
// 9297 §2.1); ssh3-alpha receivers drop it (§3.7).
var ErrDatagram = errors.New("frame: malformed datagram")

// Datagram is one HTTP datagram of a UDP channel (§3.7). In ssh3-alpha it
// names the conversation and the channel by full stream ID; in rth3-00 only
// the channel, as an RFC 9297 Quarter Stream ID, and Conversation is zero
// on decode and ignored on encode. Payload aliases the decoded buffer.
type Datagram struct {
	Conversation uint64
	Channel      uint64
	Payload      []byte
}

// DatagramOverhead is the prefix length a datagram for channel on
// conversation takes in profile p.
func (p *Profile) DatagramOverhead(conversation, channel uint64) int {
	if p.quarterStreamDatagrams {
		return varLen(channel / 4)
	}
	return varLen(conversation) + varLen(channel)
}

// AppendDatagram appends d in p's layout.
func (p *Profile) AppendDatagram(b []byte, d Datagram) ([]byte, error) {
	if p.quarterStreamDatagrams {
		if d.Channel%4 != 0 || d.Channel/4 > MaxQuarterStreamID {
			return b, &ValueError{What: "datagram", Reason: fmt.Sprintf("channel %d is not a client-initiated bidirectional stream", d.Channel)}
		}
		return append(wire.AppendVarint(b, d.Channel/4), d.Payload...), nil
	}
	if err := checkVarints("datagram", d.Conversation, d.Channel); err != nil {
		return b, err
	}
	b = wire.AppendVarint(b, d.Conversation)
	b = wire.AppendVarint(b, d.Channel)
	return append(b, d.Payload...), nil
}

// ParseDatagram decodes a whole QUIC DATAGRAM payload in p's layout.
func (p *Profile) ParseDatagram(b []byte) (Datagram, error) {
	if p.quarterStreamDatagrams {
		q, n, err := wire.ParseVarint(b)
		if err != nil {
			return Datagram{}, datagramErr("quarter stream ID", err)
		}
		if q > MaxQuarterStreamID {
			return Datagram{}, datagramErr("quarter stream ID", fmt.Errorf("%d is over 2^60-1", q))
		}
		return Datagram{Channel: q * 4, Payload: b[n:]}, nil
	}
	conv, n, err := wire.ParseVarint(b)
	if err != nil {
		return Datagram{}, datagramErr("conversation ID", err)
	}
	ch, m, err := wire.ParseVarint(b[n:])
	if err != nil {
		return Datagram{}, datagramErr("channel ID", err)
	}
	return Datagram{Conversation: conv, Channel: ch, Payload: b[n+m:]}, nil
}

type datagramError struct {
	field string
	err   error
}

func (e *datagramError) Error() string        { return fmt.Sprintf("frame: datagram: %s: %v", e.field, e.err) }
func (e *datagramError) Unwrap() error        { return e.err }
func (e *datagramError) Is(target error) bool { return target == ErrDatagram }

func datagramErr(field string, err error) error {
	if err == io.EOF {
		err = wire.ErrTruncated
	}
	return &datagramError{field: field, err: err}
}
