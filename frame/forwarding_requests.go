package frame

import "github.com/ssh3-project/ssh3/wire"

// Request names of this project's forwarding designs (G5, G6). Their
// placeholders in the protocol notes are kept as the names; a ssh3-alpha
// peer is sent them only after it announced CapReverse (reverse-*) or never
// (agent requests: ssh3-alpha uses the forward-agent convention).
const (
	ReqAuthAgent       = "auth-agent-req@openssh.com"
	ReqAgentIncoming   = "agent-incoming"
	ReqReverseBound    = "reverse-bound"
	ReqReverseIncoming = "reverse-incoming"
)

func init() {
	register(ReqAuthAgent, func(d *decoder, want bool) Request { return &AuthAgent{WantReply: want} })
	register(ReqAgentIncoming, func(d *decoder, want bool) Request {
		return &AgentIncoming{WantReply: want, Connection: d.varint("connection")}
	})
	register(ReqReverseBound, func(d *decoder, want bool) Request {
		return &ReverseBound{WantReply: want, Port: d.varint("port")}
	})
	register(ReqReverseIncoming, func(d *decoder, want bool) Request {
		r := &ReverseIncoming{WantReply: want, Connection: d.varint("connection")}
		r.Originator = parseAddress(d, false)
		return r
	})
}

// AuthAgent asks the server to forward the client's agent (G6, rth3-00).
type AuthAgent struct{ WantReply bool }

// AgentIncoming tells the client that a program connected to the session's
// agent socket; the client opens an agent-connection channel naming
// Connection (G6).
type AgentIncoming struct {
	WantReply  bool
	Connection uint64
}

// ReverseBound tells the client which port its reverse listener got (G5).
type ReverseBound struct {
	WantReply bool
	Port      uint64
}

// ReverseIncoming announces a connection accepted by a reverse listener; the
// client opens an accept channel naming Connection (G5).
type ReverseIncoming struct {
	WantReply  bool
	Connection uint64
	Originator Address
}

func (r *AuthAgent) Type() MsgType       { return MsgRequest }
func (r *AgentIncoming) Type() MsgType   { return MsgRequest }
func (r *ReverseBound) Type() MsgType    { return MsgRequest }
func (r *ReverseIncoming) Type() MsgType { return MsgRequest }

func (r *AuthAgent) Name() string       { return ReqAuthAgent }
func (r *AgentIncoming) Name() string   { return ReqAgentIncoming }
func (r *ReverseBound) Name() string    { return ReqReverseBound }
func (r *ReverseIncoming) Name() string { return ReqReverseIncoming }

func (r *AuthAgent) Reply() bool       { return r.WantReply }
func (r *AgentIncoming) Reply() bool   { return r.WantReply }
func (r *ReverseBound) Reply() bool    { return r.WantReply }
func (r *ReverseIncoming) Reply() bool { return r.WantReply }

func (r *AuthAgent) Len(*Profile) int       { return requestLen(r) }
func (r *AgentIncoming) Len(*Profile) int   { return requestLen(r) }
func (r *ReverseBound) Len(*Profile) int    { return requestLen(r) }
func (r *ReverseIncoming) Len(*Profile) int { return requestLen(r) }

func (r *AuthAgent) Append(b []byte, _ *Profile) ([]byte, error)     { return appendRequest(b, r) }
func (r *AgentIncoming) Append(b []byte, _ *Profile) ([]byte, error) { return appendRequest(b, r) }
func (r *ReverseBound) Append(b []byte, _ *Profile) ([]byte, error)  { return appendRequest(b, r) }

func (r *ReverseIncoming) Append(b []byte, _ *Profile) ([]byte, error) {
	if err := r.Originator.check(false); err != nil {
		return b, err
	}
	return appendRequest(b, r)
}

func (r *AuthAgent) fieldsLen() int       { return 0 }
func (r *AgentIncoming) fieldsLen() int   { return varLen(r.Connection) }
func (r *ReverseBound) fieldsLen() int    { return varLen(r.Port) }
func (r *ReverseIncoming) fieldsLen() int { return varLen(r.Connection) + r.Originator.len() }

func (r *AuthAgent) varints() []uint64       { return nil }
func (r *AgentIncoming) varints() []uint64   { return []uint64{r.Connection} }
func (r *ReverseBound) varints() []uint64    { return []uint64{r.Port} }
func (r *ReverseIncoming) varints() []uint64 { return []uint64{r.Connection} }

func (r *AuthAgent) appendFields(b []byte) []byte     { return b }
func (r *AgentIncoming) appendFields(b []byte) []byte { return wire.AppendVarint(b, r.Connection) }
func (r *ReverseBound) appendFields(b []byte) []byte  { return wire.AppendVarint(b, r.Port) }
func (r *ReverseIncoming) appendFields(b []byte) []byte {
	return r.Originator.append(wire.AppendVarint(b, r.Connection))
}
