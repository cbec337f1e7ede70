package frame

import (
	"fmt"

	"github.com/ssh3-project/ssh3/wire"
)

// Kinds of type-specific header fields.
const (
	extraNone    = "no"
	extraAddress = "address"
	extraReverse = "reverse"
	extraAgent   = "agent"
)

// extraKind says which fields a channel type carries in profile p.
func (p *Profile) extraKind(typ string) string {
	switch typ {
	case ChannelDirectTCP, ChannelDirectUDP:
		return extraAddress
	case ChannelReverseTCP, ChannelReverseUDP:
		return extraReverse
	case ChannelAgentConnection:
		if !p.serverOpensChannels {
			return extraAgent
		}
	}
	return extraNone
}

func extraKindOf(e HeaderExtra) string {
	switch e.(type) {
	case nil:
		return extraNone
	case *Address:
		return extraAddress
	case *ReverseListen, *ReverseAccept:
		return extraReverse
	case *AgentAccept:
		return extraAgent
	}
	return "unknown"
}

func (p *Profile) parseExtra(d *decoder, typ string) HeaderExtra {
	switch p.extraKind(typ) {
	case extraAddress:
		a := parseAddress(d, p.hostNames)
		return &a
	case extraReverse:
		switch role := d.varint("reverse role"); {
		case d.err != nil:
			return nil
		case role == RoleListen:
			a := parseAddress(d, p.hostNames)
			return &ReverseListen{Bind: a}
		case role == RoleAccept:
			return &ReverseAccept{Listener: d.varint("listener"), Connection: d.varint("connection")}
		default:
			d.err = &FieldError{What: d.what, Field: "reverse role", Err: fmt.Errorf("unknown role %d", role)}
			return nil
		}
	case extraAgent:
		return &AgentAccept{Session: d.varint("session channel"), Connection: d.varint("connection")}
	}
	return nil
}

func (a *Address) extraLen() int { return a.len() }

func (a *Address) appendExtra(b []byte, p *Profile) ([]byte, error) {
	if err := a.check(p.hostNames); err != nil {
		return b, err
	}
	return a.append(b), nil
}

// Roles of a reverse-tcp / reverse-udp channel (G5).
const (
	RoleListen = 0
	RoleAccept = 1
)

// ReverseListen is a reverse listener channel: bind Bind on the server
// (port 0: any) and announce connections on this channel (G5).
type ReverseListen struct {
	Bind Address
}

func (r *ReverseListen) extraLen() int { return 1 + r.Bind.len() }

func (r *ReverseListen) appendExtra(b []byte, p *Profile) ([]byte, error) {
	if err := r.Bind.check(p.hostNames); err != nil {
		return b, err
	}
	return r.Bind.append(wire.AppendVarint(b, RoleListen)), nil
}

// ReverseAccept is the channel that carries one inbound connection of a
// reverse listener (G5).
type ReverseAccept struct {
	Listener   uint64 // the listener channel's stream ID
	Connection uint64 // from reverse-incoming
}

func (r *ReverseAccept) extraLen() int { return 1 + varLen(r.Listener) + varLen(r.Connection) }

func (r *ReverseAccept) appendExtra(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("reverse accept", r.Listener, r.Connection); err != nil {
		return b, err
	}
	b = wire.AppendVarint(b, RoleAccept)
	b = wire.AppendVarint(b, r.Listener)
	return wire.AppendVarint(b, r.Connection), nil
}

// AgentAccept is an rth3-00 agent-connection channel opened by the client
// for a connection announced by agent-incoming (G6).
type AgentAccept struct {
	Session    uint64 // the session channel's stream ID
	Connection uint64
}

func (a *AgentAccept) extraLen() int { return varLen(a.Session) + varLen(a.Connection) }

func (a *AgentAccept) appendExtra(b []byte, _ *Profile) ([]byte, error) {
	if err := checkVarints("agent accept", a.Session, a.Connection); err != nil {
		return b, err
	}
	return wire.AppendVarint(wire.AppendVarint(b, a.Session), a.Connection), nil
}
