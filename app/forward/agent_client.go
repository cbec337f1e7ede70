package forward

import (
	"context"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// ServeAgentChannels accepts the server-opened channels of an ssh3-alpha
// conversation until it ends: agent-connection channels are carried to
// AgentSocket; any other type is refused with reason 3 (§3.3, §5.3).
func (c *Client) ServeAgentChannels(ctx context.Context) {
	for {
		ch, err := c.Conv.AcceptChannel(ctx)
		if err != nil {
			return
		}
		if ch.Type() != frame.ChannelAgentConnection || c.AgentSocket == "" {
			_ = ch.Reject(frame.ReasonUnknownChannelType, "unknown channel type")
			continue
		}
		c.go_(func() {
			nc, err := auth.DialAgentConn(c.AgentSocket)
			if err != nil {
				c.Stats.Add(ReasonAgent)
				c.log().Info("forward: agent unreachable", "err", err)
				_ = ch.Reject(frame.ReasonConnectFailed, "agent unreachable")
				return
			}
			if err := ch.Confirm(); err != nil {
				_ = nc.Close()
				return
			}
			_ = Relay(nc, ch)
		})
	}
}

// AgentSession wraps an rth3-00 session channel so that agent-incoming
// requests open agent-connection channels to AgentSocket (G6); every other
// message passes through. It satisfies app/session's Channel.
type AgentSession struct {
	*conn.Channel
	c *Client
}

// WrapSession returns ch with agent-incoming handled by c. c.Conv may be
// set after the call, but before the server can send agent-incoming (it
// does so only after the conversation is established).
func (c *Client) WrapSession(ch *conn.Channel) *AgentSession { return &AgentSession{Channel: ch, c: c} }

// ReadMessage reads the next message that is not an agent-incoming.
func (s *AgentSession) ReadMessage() (frame.Message, error) {
	for {
		m, err := s.Channel.ReadMessage()
		in, ok := m.(*frame.AgentIncoming)
		if err != nil || !ok {
			return m, err
		}
		id, session := in.Connection, s.Channel.ID()
		s.c.go_(func() { s.c.acceptAgent(session, id) })
	}
}

func (c *Client) acceptAgent(session, id uint64) {
	ctx := doneContext(c.Conv.Done())
	ch, err := c.Conv.OpenChannel(ctx, frame.ChannelAgentConnection, &frame.AgentAccept{Session: session, Connection: id})
	if err != nil {
		c.Stats.Add(ReasonOpenFailed)
		return
	}
	nc, err := auth.DialAgentConn(c.AgentSocket)
	if err != nil || c.AgentSocket == "" {
		c.Stats.Add(ReasonAgent)
		_ = ch.Flush()
		ch.Abort(conn.CodeConnectError)
		return
	}
	_ = Relay(nc, ch)
}
