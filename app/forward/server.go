package forward

import (
	"context"
	"log/slog"
	"sync"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Server serves the forwarding channels of a server's conversations. Its
// handlers have the shape of app/server's ChannelHandler; register each
// under its channel type.
type Server struct {
	Policy Policy
	Stats  Stats
	Logger *slog.Logger

	mu           sync.Mutex // guards listeners, udpListeners and agents
	listeners    map[listenerKey]*reverseListener
	udpListeners map[listenerKey]*udpListener
	agents       map[listenerKey]*agentSocket
}

// listenerKey names a listener (or a session's agent socket) by its
// conversation and channel.
type listenerKey struct {
	conv *conn.Conversation
	ch   uint64
}

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// refuse rejects ch, counting why.
func (s *Server) refuse(ch *conn.Channel, reason uint64, stat, desc string) {
	s.Stats.Add(stat)
	s.log().Info("forward: channel refused", "type", ch.Type(), "reason", stat, "detail", desc)
	_ = ch.Reject(reason, desc)
}

// ServeDirectTCP serves a direct-tcp channel: policy, then the dial, then
// the confirmation, so that a failure is OPEN_FAILURE CONNECT_FAILED
// (alpha) or a reset with H3_CONNECT_ERROR (rth3-00) (§5.1, G4).
func (s *Server) ServeDirectTCP(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	a, ok := ch.Header().Extra.(*frame.Address)
	switch {
	case !ok:
		s.refuse(ch, frame.ReasonConnectFailed, ReasonBadHeader, "no target address")
		return
	case s.Policy.DisableTCP || !s.Policy.allowsOpen(c, a):
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonPolicy, "forwarding to "+a.String()+" is not permitted")
		return
	}
	nc, err := s.Policy.dial(ctx, "tcp", a)
	if err != nil {
		s.refuse(ch, frame.ReasonConnectFailed, ReasonDialFailed, err.Error())
		return
	}
	if err := ch.Confirm(); err != nil {
		_ = nc.Close()
		ch.Abort(conn.CodeRequestCancelled)
		return
	}
	if err := Relay(nc, ch); err != nil {
		s.log().Debug("forward: direct-tcp ended", "target", a.String(), "err", err)
	}
}
