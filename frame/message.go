package frame

import (
	"io"

	"github.com/ssh3-project/ssh3/wire"
)

// Message is one SSH message on a channel stream: its number and its fields,
// with nothing framing it (§3.5).
type Message interface {
	// Type is the message number.
	Type() MsgType
	// Append appends the message, number included, as profile p lays it out.
	Append(b []byte, p *Profile) ([]byte, error)
	// Len is the length Append writes.
	Len(p *Profile) int
}

// parseFunc decodes the fields after the message number.
type parseFunc func(d *decoder, p *Profile) Message

var messageParsers = map[MsgType]parseFunc{
	MsgOpenConfirmation: parseOpenConfirmation,
	MsgOpenFailure:      parseOpenFailure,
	MsgWindowAdjust:     parseWindowAdjust,
	MsgData:             parseData,
	MsgExtendedData:     parseExtendedData,
	MsgEOF:              func(*decoder, *Profile) Message { return &EOF{} },
	MsgClose:            func(*decoder, *Profile) Message { return &Close{} },
	MsgRequest:          parseRequest,
	MsgSuccess:          func(*decoder, *Profile) Message { return &Success{} },
	MsgFailure:          func(*decoder, *Profile) Message { return &Failure{} },
}

// ParseMessage decodes one message from the front of b, laid out as profile
// p lays it out, and returns it with the number of bytes it took. max is the
// largest message this side accepts (the size it announced): no field may
// claim more, and the whole message may not be longer. Byte fields of the
// result alias b.
//
// Empty input is io.EOF; input that ends inside the message matches
// io.ErrUnexpectedEOF; a message over max matches ErrTooLarge. An unknown
// message number is not an error: it decodes to *UnknownMessage, taking only
// the number (nothing tells how long its fields are).
func ParseMessage(b []byte, p *Profile, max uint64) (Message, int, error) {
	if len(b) == 0 {
		return nil, 0, io.EOF
	}
	t, n, err := wire.ParseVarint(b)
	if err != nil {
		return nil, 0, fieldErr("message", "type", err)
	}
	parse, ok := messageParsers[MsgType(t)]
	if !ok {
		if uint64(n) > max {
			return nil, 0, &SizeError{What: MsgType(t).String(), Size: uint64(n), Max: max}
		}
		return &UnknownMessage{MsgType: MsgType(t)}, n, nil
	}
	d := newDecoder(MsgType(t).String(), b, max)
	d.n = n
	m := parse(d, p)
	if d.err != nil {
		return nil, 0, d.err
	}
	if uint64(d.n) > max {
		return nil, 0, &SizeError{What: MsgType(t).String(), Size: uint64(d.n), Max: max}
	}
	return m, d.n, nil
}

// AppendMessage appends m and checks that it fits within max, the largest
// message the peer accepts.
func AppendMessage(b []byte, m Message, p *Profile, max uint64) ([]byte, error) {
	if l := m.Len(p); uint64(l) > max {
		return b, &SizeError{What: m.Type().String(), Size: uint64(l), Max: max}
	}
	return m.Append(b, p)
}

// appendType starts a message.
func appendType(b []byte, t MsgType) []byte { return wire.AppendVarint(b, uint64(t)) }

// typeLen is the length of a message number.
func typeLen(t MsgType) int { return varLen(uint64(t)) }
