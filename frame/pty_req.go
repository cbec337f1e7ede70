package frame

import (
	"encoding/binary"
	"fmt"

	"github.com/ssh3-project/ssh3/wire"
)

func init() {
	register(ReqPtyReq, func(d *decoder, want bool) Request {
		return &PtyReq{
			WantReply: want,
			Term:      d.string("TERM"),
			Columns:   d.varint("width in characters"),
			Rows:      d.varint("height in rows"),
			WidthPx:   d.varint("width in pixels"),
			HeightPx:  d.varint("height in pixels"),
			Modes:     d.bytes("terminal modes"),
		}
	})
}

// PtyReq asks for a pseudo-terminal (RFC 4254 §6.2). Modes holds the
// encoded terminal modes unchanged (RFC 4254 §8: opcode byte, uint32
// argument, ended by 0; gap G16); the original client sends it empty.
type PtyReq struct {
	WantReply         bool
	Term              string
	Columns, Rows     uint64
	WidthPx, HeightPx uint64
	Modes             []byte
}

func (r *PtyReq) Type() MsgType                               { return MsgRequest }
func (r *PtyReq) Name() string                                { return ReqPtyReq }
func (r *PtyReq) Reply() bool                                 { return r.WantReply }
func (r *PtyReq) Len(*Profile) int                            { return requestLen(r) }
func (r *PtyReq) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }
func (r *PtyReq) varints() []uint64                           { return []uint64{r.Columns, r.Rows, r.WidthPx, r.HeightPx} }

func (r *PtyReq) fieldsLen() int {
	return strLen(len(r.Term)) + varLen(r.Columns) + varLen(r.Rows) + varLen(r.WidthPx) +
		varLen(r.HeightPx) + strLen(len(r.Modes))
}

func (r *PtyReq) appendFields(b []byte) []byte {
	b = wire.AppendString(b, r.Term)
	b = wire.AppendVarint(b, r.Columns)
	b = wire.AppendVarint(b, r.Rows)
	b = wire.AppendVarint(b, r.WidthPx)
	b = wire.AppendVarint(b, r.HeightPx)
	return wire.AppendBytes(b, r.Modes)
}

// TerminalModes decodes Modes.
func (r *PtyReq) TerminalModes() (TerminalModes, error) { return ParseTerminalModes(r.Modes) }

// TerminalMode is one encoded terminal mode: an opcode and its argument
// (RFC 4254 §8).
type TerminalMode struct {
	Opcode byte
	Arg    uint32
}

// TerminalModes is a decoded terminal-modes blob, in wire order.
type TerminalModes []TerminalMode

// TTYOpEnd ends the terminal-modes blob; opcodes from TTYOpFirstUndefined on
// are not defined and stop the parse (RFC 4254 §8).
const (
	TTYOpEnd            = 0
	TTYOpFirstUndefined = 160
)

// ParseTerminalModes decodes an RFC 4254 §8 blob. An empty blob is no
// modes. Decoding stops at TTY_OP_END or at the first undefined opcode, as
// the RFC says; a blob that ends inside an argument is an error.
func ParseTerminalModes(b []byte) (TerminalModes, error) {
	var modes TerminalModes
	for i := 0; i < len(b); {
		op := b[i]
		if op == TTYOpEnd || op >= TTYOpFirstUndefined {
			return modes, nil
		}
		if len(b)-i < 5 {
			return nil, &FieldError{What: ReqPtyReq, Field: "terminal modes",
				Err: fmt.Errorf("opcode %d at offset %d: %w", op, i, wire.ErrTruncated)}
		}
		modes = append(modes, TerminalMode{Opcode: op, Arg: binary.BigEndian.Uint32(b[i+1:])})
		i += 5
	}
	return modes, nil
}

// Append encodes the modes and the final TTY_OP_END.
func (m TerminalModes) Append(b []byte) []byte {
	for _, mode := range m {
		b = append(b, mode.Opcode)
		b = binary.BigEndian.AppendUint32(b, mode.Arg)
	}
	return append(b, TTYOpEnd)
}
