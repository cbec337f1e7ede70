package forward

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
)

// DefaultDialTimeout bounds the server's connect to a forwarding target;
// our server dials before it confirms, so a failure is reported within it
// (X-ROB-32).
const DefaultDialTimeout = 10 * time.Second

// Policy is what a server allows. The zero value allows every kind of
// forwarding, subject to each key's authorized_keys options.
type Policy struct {
	DisableTCP     bool // direct-tcp and dynamic forwarding
	DisableUDP     bool // direct-udp and reverse-udp (and so proxy jump through this server)
	DisableReverse bool // reverse-tcp and reverse-udp listeners
	DisableAgent   bool // agent forwarding
	// GatewayPorts lets reverse listeners bind non-loopback addresses;
	// without it they are bound to loopback, as sshd's GatewayPorts no.
	GatewayPorts bool
	// Restrictions returns the authorized_keys options of the
	// conversation's key; nil means none.
	Restrictions func(c *conn.Conversation) *auth.Restrictions
	DialTimeout  time.Duration // DefaultDialTimeout if 0
	// ReverseHold is how long an inbound reverse connection waits for its
	// accept channel; ReverseHoldTime if 0.
	ReverseHold time.Duration
}

// ErrProhibited reports a target the policy forbids.
var ErrProhibited = errors.New("forward: administratively prohibited")

// Grant is what the policy reads of a conversation's identity
// (conn.Identity.Extra): the restrictions of the key it logged in with, and
// whether its account is root. The server's identities provide it
// (verify.Identity); a conversation without one is held to no key options
// and to unprivileged ports.
type Grant interface {
	KeyRestrictions() *auth.Restrictions
	Superuser() bool
}

func (p *Policy) restrictions(c *conn.Conversation) *auth.Restrictions {
	if p.Restrictions != nil {
		if r := p.Restrictions(c); r != nil {
			return r
		}
	}
	if g, ok := c.Identity().Extra.(Grant); ok {
		return g.KeyRestrictions()
	}
	return &auth.Restrictions{}
}

// allowsOpen checks a direct-tcp / direct-udp target. IPv4-mapped family 6
// is checked as IPv4 (X-ROB-31).
func (p *Policy) allowsOpen(c *conn.Conversation, a *frame.Address) bool {
	return p.restrictions(c).AllowsOpen(targetHost(a), a.Port)
}

// allowsPortForwarding checks no-port-forwarding alone (reverse listeners).
func (p *Policy) allowsPortForwarding(c *conn.Conversation) bool {
	return !p.restrictions(c).NoPortForwarding
}

func (p *Policy) allowsAgent(c *conn.Conversation) bool {
	return !p.DisableAgent && !p.restrictions(c).NoAgentForwarding
}

func (p *Policy) dialTimeout() time.Duration {
	if p.DialTimeout > 0 {
		return p.DialTimeout
	}
	return DefaultDialTimeout
}

// targetHost is the address block's host as a string: the unmapped IP, or
// the name.
func targetHost(a *frame.Address) string {
	if a.Family == frame.FamilyName {
		return a.Host
	}
	return a.IP.Unmap().WithZone("").String()
}

// targetAddr is host:port for dialing.
func targetAddr(a *frame.Address) string {
	return net.JoinHostPort(targetHost(a), itoa16(a.Port))
}

func itoa16(p uint16) string { return strconv.Itoa(int(p)) }

// dial connects to a target within the dial timeout.
func (p *Policy) dial(ctx context.Context, network string, a *frame.Address) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.dialTimeout())
	defer cancel()
	var d net.Dialer
	return d.DialContext(ctx, network, targetAddr(a))
}
