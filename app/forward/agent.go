package forward

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// Agent forwarding limits (G6, §5.3).
const (
	// MaxPendingAgent caps the agent connections of one session waiting
	// for their channel (rth3-00).
	MaxPendingAgent = 8
	// AgentHoldTime is how long such a connection waits.
	AgentHoldTime = 10 * time.Second
)

// ErrAgentProhibited reports agent forwarding refused by policy.
var ErrAgentProhibited = errors.New("forward: agent forwarding is not permitted")

// Owner is the account an agent socket belongs to.
type Owner struct {
	UID, GID uint32
}

// agentSocket is one session's forwarded agent on the server.
type agentSocket struct {
	s       *Server
	conv    *conn.Conversation
	session *conn.Channel
	dir     string
	ln      net.Listener

	mu      sync.Mutex // guards next, pending and closed
	next    uint64
	pending map[uint64]net.Conn
	closed  bool
}

// AgentForwarding prepares agent forwarding for the session channel sess:
// enable is the session's hook (session.Config.AgentForwarding): it makes a
// private socket (0600 inside a 0700 directory, owned by owner when the
// server runs as root) and returns SSH_AUTH_SOCK. cleanup removes it; call
// it when the session ends. Each program that connects to the socket is
// carried to the client's agent: on a server-opened agent-connection
// channel in ssh3-alpha, through agent-incoming and a client-opened channel
// in rth3-00 (G6).
func (s *Server) AgentForwarding(ctx context.Context, c *conn.Conversation, sess *conn.Channel, owner Owner) (enable func() (map[string]string, error), cleanup func()) {
	var once sync.Once
	var a *agentSocket
	var aerr error
	enable = func() (map[string]string, error) {
		once.Do(func() {
			if !s.Policy.allowsAgent(c) {
				s.Stats.Add(ReasonPolicy)
				aerr = ErrAgentProhibited
				return
			}
			a, aerr = s.listenAgent(ctx, c, sess, owner)
		})
		if aerr != nil {
			return nil, aerr
		}
		return map[string]string{"SSH_AUTH_SOCK": filepath.Join(a.dir, "agent.sock")}, nil
	}
	cleanup = func() {
		once.Do(func() {}) // no socket after cleanup
		if a != nil {
			a.close()
		}
	}
	return enable, cleanup
}

func (s *Server) listenAgent(ctx context.Context, c *conn.Conversation, sess *conn.Channel, owner Owner) (*agentSocket, error) {
	dir, err := os.MkdirTemp("", "ssh3-agent-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	err = os.Chmod(path, 0o600)
	if err == nil && os.Geteuid() == 0 {
		err = os.Chown(dir, int(owner.UID), int(owner.GID))
		if err == nil {
			err = os.Chown(path, int(owner.UID), int(owner.GID))
		}
	}
	if err != nil {
		_ = ln.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	a := &agentSocket{s: s, conv: c, session: sess, dir: dir, ln: ln, pending: map[uint64]net.Conn{}}
	if !c.Profile().ServerOpensChannels() {
		s.mu.Lock()
		if s.agents == nil {
			s.agents = map[listenerKey]*agentSocket{}
		}
		s.agents[listenerKey{c, sess.ID()}] = a
		s.mu.Unlock()
	}
	go a.acceptLoop(ctx)
	return a, nil
}

func (a *agentSocket) acceptLoop(ctx context.Context) {
	for {
		nc, err := a.ln.Accept()
		if err != nil {
			return
		}
		if a.conv.Profile().ServerOpensChannels() {
			go a.openAlpha(ctx, nc)
			continue
		}
		a.announce(nc)
	}
}

// openAlpha carries one agent connection on a server-opened channel
// (ssh3-alpha, §5.3).
func (a *agentSocket) openAlpha(ctx context.Context, nc net.Conn) {
	ch, err := a.conv.OpenChannel(ctx, frame.ChannelAgentConnection, nil)
	if err != nil {
		a.s.Stats.Add(ReasonAgent)
		_ = nc.Close()
		return
	}
	_ = Relay(nc, ch)
}

// announce parks nc and tells the client with agent-incoming (rth3-00, G6).
func (a *agentSocket) announce(nc net.Conn) {
	a.mu.Lock()
	if a.closed || len(a.pending) >= MaxPendingAgent {
		a.mu.Unlock()
		a.s.Stats.Add(ReasonPendingFull)
		_ = nc.Close()
		return
	}
	a.next++
	id := a.next
	a.pending[id] = nc
	a.mu.Unlock()
	time.AfterFunc(AgentHoldTime, func() {
		if nc := a.take(id); nc != nil {
			a.s.Stats.Add(ReasonPendingExpiry)
			_ = nc.Close()
		}
	})
	if err := a.session.WriteMessage(&frame.AgentIncoming{Connection: id}); err != nil {
		if nc := a.take(id); nc != nil {
			_ = nc.Close()
		}
	}
}

func (a *agentSocket) take(id uint64) net.Conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	nc := a.pending[id]
	delete(a.pending, id)
	return nc
}

func (a *agentSocket) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	pend := a.pending
	a.pending = nil
	a.mu.Unlock()
	a.s.mu.Lock()
	if a.s.agents[listenerKey{a.conv, a.session.ID()}] == a {
		delete(a.s.agents, listenerKey{a.conv, a.session.ID()})
	}
	a.s.mu.Unlock()
	_ = a.ln.Close()
	for _, nc := range pend {
		_ = nc.Close()
	}
	_ = os.RemoveAll(a.dir)
}

// ServeAgentConnection serves an rth3-00 agent-connection channel opened by
// the client for a connection announced with agent-incoming (G6): a
// session or connection it does not know is reset with 0x10b.
func (s *Server) ServeAgentConnection(ctx context.Context, c *conn.Conversation, ch *conn.Channel) {
	x, ok := ch.Header().Extra.(*frame.AgentAccept)
	if !ok {
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonBadHeader, "agent channels are opened by the server")
		return
	}
	s.mu.Lock()
	a := s.agents[listenerKey{c, x.Session}]
	s.mu.Unlock()
	var nc net.Conn
	if a != nil {
		nc = a.take(x.Connection)
	}
	if nc == nil {
		s.refuse(ch, frame.ReasonAdministrativelyProhibited, ReasonUnknownConn, "no such agent connection")
		return
	}
	if err := ch.Confirm(); err != nil {
		_ = nc.Close()
		return
	}
	_ = Relay(nc, ch)
}
