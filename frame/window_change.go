package frame

import "github.com/ssh3-project/ssh3/wire"

func init() {
	register(ReqWindowChange, func(d *decoder, want bool) Request {
		return &WindowChange{
			WantReply: want,
			Columns:   d.varint("width in characters"),
			Rows:      d.varint("height in rows"),
			WidthPx:   d.varint("width in pixels"),
			HeightPx:  d.varint("height in pixels"),
		}
	})
}

// WindowChange reports a new terminal size (RFC 4254 §6.7). Never send it to
// a ssh3-alpha peer without CapWinch.
type WindowChange struct {
	WantReply         bool
	Columns, Rows     uint64
	WidthPx, HeightPx uint64
}

func (r *WindowChange) Type() MsgType                               { return MsgRequest }
func (r *WindowChange) Name() string                                { return ReqWindowChange }
func (r *WindowChange) Reply() bool                                 { return r.WantReply }
func (r *WindowChange) Len(*Profile) int                            { return requestLen(r) }
func (r *WindowChange) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }
func (r *WindowChange) varints() []uint64 {
	return []uint64{r.Columns, r.Rows, r.WidthPx, r.HeightPx}
}

func (r *WindowChange) fieldsLen() int {
	return varLen(r.Columns) + varLen(r.Rows) + varLen(r.WidthPx) + varLen(r.HeightPx)
}

func (r *WindowChange) appendFields(b []byte) []byte {
	b = wire.AppendVarint(b, r.Columns)
	b = wire.AppendVarint(b, r.Rows)
	b = wire.AppendVarint(b, r.WidthPx)
	return wire.AppendVarint(b, r.HeightPx)
}
