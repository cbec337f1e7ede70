package server

import (
	"context"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/host"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// registerForwarding registers the forwarding channel types (spec §5):
// direct-tcp, direct-udp, reverse-tcp, reverse-udp and the rth3-00 agent-connection,
// under the policy of Config.Forwarding.
func (s *Server) registerForwarding() {
	s.fwd = &forward.Server{Policy: s.cfg.Forwarding, Logger: s.log}
	s.Handle(frame.ChannelDirectTCP, s.fwd.ServeDirectTCP)
	s.Handle(frame.ChannelDirectUDP, s.fwd.ServeDirectUDP)
	s.Handle(frame.ChannelReverseTCP, s.fwd.ServeReverseTCP)
	s.Handle(frame.ChannelReverseUDP, s.fwd.ServeReverseUDP)
	s.Handle(frame.ChannelAgentConnection, s.fwd.ServeAgentConnection)
}

// ForwardingStats are the forwarding refusals and drops counted by reason.
func (s *Server) ForwardingStats() map[string]uint64 { return s.fwd.Stats.Snapshot() }

// agentForwarding is the session's agent hook and its cleanup (§5.3).
func (s *Server) agentForwarding(ctx context.Context, c *conn.Conversation, ch *conn.Channel, acct *host.Account) (func() (map[string]string, error), func()) {
	return s.fwd.AgentForwarding(ctx, c, ch, forward.Owner{UID: acct.UID, GID: acct.GID})
}
