package frame

import "github.com/ssh3-project/ssh3/wire"

func init() {
	register(ReqX11Req, func(d *decoder, want bool) Request {
		return &X11Req{
			WantReply:        want,
			SingleConnection: d.bool("single connection"),
			AuthProtocol:     d.string("x11 authentication protocol"),
			AuthCookie:       d.string("x11 authentication cookie"),
			Screen:           d.varint("x11 screen number"),
		}
	})
}

// X11Req asks for X11 forwarding (RFC 4254 §6.3.1).
type X11Req struct {
	WantReply        bool
	SingleConnection bool
	AuthProtocol     string
	AuthCookie       string
	Screen           uint64
}

func (r *X11Req) Type() MsgType                               { return MsgRequest }
func (r *X11Req) Name() string                                { return ReqX11Req }
func (r *X11Req) Reply() bool                                 { return r.WantReply }
func (r *X11Req) Len(*Profile) int                            { return requestLen(r) }
func (r *X11Req) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }
func (r *X11Req) varints() []uint64                           { return []uint64{r.Screen} }

func (r *X11Req) fieldsLen() int {
	return wire.BoolLen + strLen(len(r.AuthProtocol)) + strLen(len(r.AuthCookie)) + varLen(r.Screen)
}

func (r *X11Req) appendFields(b []byte) []byte {
	b = wire.AppendBool(b, r.SingleConnection)
	b = wire.AppendString(b, r.AuthProtocol)
	b = wire.AppendString(b, r.AuthCookie)
	return wire.AppendVarint(b, r.Screen)
}
