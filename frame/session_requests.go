package frame

import "github.com/ssh3-project/ssh3/wire"

// Request names of the session channel (RFC 4254 §6; §3.6).
const (
	ReqPtyReq       = "pty-req"
	ReqX11Req       = "x11-req"
	ReqShell        = "shell"
	ReqExec         = "exec"
	ReqSubsystem    = "subsystem"
	ReqEnv          = "env"
	ReqWindowChange = "window-change"
	ReqXonXoff      = "xon-xoff"
	ReqSignal       = "signal"
	ReqExitStatus   = "exit-status"
	ReqExitSignal   = "exit-signal"
)

func init() {
	register(ReqShell, func(d *decoder, want bool) Request { return &Shell{WantReply: want} })
	register(ReqExec, func(d *decoder, want bool) Request {
		return &Exec{WantReply: want, Command: d.string("command")}
	})
	register(ReqSubsystem, func(d *decoder, want bool) Request {
		return &Subsystem{WantReply: want, Subsystem: d.utf8("subsystem name")}
	})
	register(ReqEnv, func(d *decoder, want bool) Request {
		return &Env{WantReply: want, Variable: d.string("variable name"), Value: d.string("variable value")}
	})
	register(ReqXonXoff, func(d *decoder, want bool) Request {
		return &XonXoff{WantReply: want, ClientCanDo: d.bool("client can do")}
	})
	register(ReqSignal, func(d *decoder, want bool) Request {
		return &Signal{WantReply: want, Signal: d.utf8("signal name")}
	})
	register(ReqExitStatus, func(d *decoder, want bool) Request {
		return &ExitStatus{WantReply: want, Status: d.varint("exit status")}
	})
}

// Shell asks for the user's login shell (RFC 4254 §6.5).
type Shell struct{ WantReply bool }

// Exec runs Command through the user's shell (RFC 4254 §6.5). Command is
// bytes as the client sent them; the original client joins its arguments
// with single spaces.
type Exec struct {
	WantReply bool
	Command   string
}

// Subsystem starts a named subsystem (RFC 4254 §6.5).
type Subsystem struct {
	WantReply bool
	Subsystem string
}

// Env passes one environment variable (RFC 4254 §6.4).
type Env struct {
	WantReply bool
	Variable  string
	Value     string
}

// XonXoff tells whether the client can do flow control (RFC 4254 §6.8).
type XonXoff struct {
	WantReply   bool
	ClientCanDo bool
}

// Signal delivers a signal, named without "SIG" (RFC 4254 §6.9).
type Signal struct {
	WantReply bool
	Signal    string
}

// ExitStatus carries the command's exit status; want-reply is false
// (RFC 4254 §6.10).
type ExitStatus struct {
	WantReply bool
	Status    uint64
}

func (r *Shell) Type() MsgType      { return MsgRequest }
func (r *Exec) Type() MsgType       { return MsgRequest }
func (r *Subsystem) Type() MsgType  { return MsgRequest }
func (r *Env) Type() MsgType        { return MsgRequest }
func (r *XonXoff) Type() MsgType    { return MsgRequest }
func (r *Signal) Type() MsgType     { return MsgRequest }
func (r *ExitStatus) Type() MsgType { return MsgRequest }

func (r *Shell) Name() string      { return ReqShell }
func (r *Exec) Name() string       { return ReqExec }
func (r *Subsystem) Name() string  { return ReqSubsystem }
func (r *Env) Name() string        { return ReqEnv }
func (r *XonXoff) Name() string    { return ReqXonXoff }
func (r *Signal) Name() string     { return ReqSignal }
func (r *ExitStatus) Name() string { return ReqExitStatus }

func (r *Shell) Reply() bool      { return r.WantReply }
func (r *Exec) Reply() bool       { return r.WantReply }
func (r *Subsystem) Reply() bool  { return r.WantReply }
func (r *Env) Reply() bool        { return r.WantReply }
func (r *XonXoff) Reply() bool    { return r.WantReply }
func (r *Signal) Reply() bool     { return r.WantReply }
func (r *ExitStatus) Reply() bool { return r.WantReply }

func (r *Shell) Len(*Profile) int      { return requestLen(r) }
func (r *Exec) Len(*Profile) int       { return requestLen(r) }
func (r *Subsystem) Len(*Profile) int  { return requestLen(r) }
func (r *Env) Len(*Profile) int        { return requestLen(r) }
func (r *XonXoff) Len(*Profile) int    { return requestLen(r) }
func (r *Signal) Len(*Profile) int     { return requestLen(r) }
func (r *ExitStatus) Len(*Profile) int { return requestLen(r) }

func (r *Shell) Append(b []byte, _ *Profile) ([]byte, error)      { return appendRequest(b, r) }
func (r *Exec) Append(b []byte, _ *Profile) ([]byte, error)       { return appendRequest(b, r) }
func (r *Subsystem) Append(b []byte, _ *Profile) ([]byte, error)  { return appendRequest(b, r) }
func (r *Env) Append(b []byte, _ *Profile) ([]byte, error)        { return appendRequest(b, r) }
func (r *XonXoff) Append(b []byte, _ *Profile) ([]byte, error)    { return appendRequest(b, r) }
func (r *Signal) Append(b []byte, _ *Profile) ([]byte, error)     { return appendRequest(b, r) }
func (r *ExitStatus) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }

func (r *Shell) fieldsLen() int      { return 0 }
func (r *Exec) fieldsLen() int       { return strLen(len(r.Command)) }
func (r *Subsystem) fieldsLen() int  { return strLen(len(r.Subsystem)) }
func (r *Env) fieldsLen() int        { return strLen(len(r.Variable)) + strLen(len(r.Value)) }
func (r *XonXoff) fieldsLen() int    { return wire.BoolLen }
func (r *Signal) fieldsLen() int     { return strLen(len(r.Signal)) }
func (r *ExitStatus) fieldsLen() int { return varLen(r.Status) }

func (r *Shell) varints() []uint64      { return nil }
func (r *Exec) varints() []uint64       { return nil }
func (r *Subsystem) varints() []uint64  { return nil }
func (r *Env) varints() []uint64        { return nil }
func (r *XonXoff) varints() []uint64    { return nil }
func (r *Signal) varints() []uint64     { return nil }
func (r *ExitStatus) varints() []uint64 { return []uint64{r.Status} }

func (r *Subsystem) utf8Fields() []string { return []string{r.Subsystem} }
func (r *Signal) utf8Fields() []string    { return []string{r.Signal} }

func (r *Shell) appendFields(b []byte) []byte     { return b }
func (r *Exec) appendFields(b []byte) []byte      { return wire.AppendString(b, r.Command) }
func (r *Subsystem) appendFields(b []byte) []byte { return wire.AppendString(b, r.Subsystem) }
func (r *Env) appendFields(b []byte) []byte {
	return wire.AppendString(wire.AppendString(b, r.Variable), r.Value)
}
func (r *XonXoff) appendFields(b []byte) []byte    { return wire.AppendBool(b, r.ClientCanDo) }
func (r *Signal) appendFields(b []byte) []byte     { return wire.AppendString(b, r.Signal) }
func (r *ExitStatus) appendFields(b []byte) []byte { return wire.AppendVarint(b, r.Status) }
