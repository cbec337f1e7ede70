package frame

import "github.com/ssh3-project/ssh3/wire"

func init() {
	register(ReqExitSignal, func(d *decoder, want bool) Request {
		return &ExitSignal{
			WantReply:    want,
			Signal:       d.utf8("signal name"),
			CoreDumped:   d.bool("core dumped"),
			ErrorMessage: d.utf8("error message"),
			Language:     d.string("language tag"),
		}
	})
}

// ExitSignal reports a command killed by a signal, named without "SIG"
// (RFC 4254 §6.10). The original server never sends it (it crashes
// instead); the original client exits with 255 on it.
type ExitSignal struct {
	WantReply    bool
	Signal       string
	CoreDumped   bool
	ErrorMessage string
	Language     string
}

func (r *ExitSignal) Type() MsgType                               { return MsgRequest }
func (r *ExitSignal) Name() string                                { return ReqExitSignal }
func (r *ExitSignal) Reply() bool                                 { return r.WantReply }
func (r *ExitSignal) Len(*Profile) int                            { return requestLen(r) }
func (r *ExitSignal) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }
func (r *ExitSignal) varints() []uint64                           { return nil }
func (r *ExitSignal) utf8Fields() []string                        { return []string{r.Signal, r.ErrorMessage} }

func (r *ExitSignal) fieldsLen() int {
	return strLen(len(r.Signal)) + wire.BoolLen + strLen(len(r.ErrorMessage)) + strLen(len(r.Language))
}

func (r *ExitSignal) appendFields(b []byte) []byte {
	b = wire.AppendString(b, r.Signal)
	b = wire.AppendBool(b, r.CoreDumped)
	b = wire.AppendString(b, r.ErrorMessage)
	return wire.AppendString(b, r.Language)
}
