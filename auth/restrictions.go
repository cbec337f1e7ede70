package auth

import (
	"net"
	"strconv"
	"strings"
)

// Restrictions are the session limits an accepted key carries (from its
// authorized_keys options). The session layer enforces them.
type Restrictions struct {
	ForcedCommand     string   // command=: run this instead of what the client asks
	NoPTY             bool     // no-pty
	NoPortForwarding  bool     // no-port-forwarding
	NoAgentForwarding bool     // no-agent-forwarding
	NoX11Forwarding   bool     // no-X11-forwarding (SSH3 has no X11; recorded anyway)
	NoUserRC          bool     // no-user-rc (this server never runs ~/.ssh/rc)
	PermitOpen        []string // permitopen= targets, "host:port" as written; nil = any
}

// AllowsOpen reports whether a direct-tcp or direct-udp target is allowed:
// port forwarding must be on and, when PermitOpen is set, one entry must
// match (host compared case-insensitively, "*" matches any host or port).
func (r *Restrictions) AllowsOpen(host string, port uint16) bool {
	if r.NoPortForwarding {
		return false
	}
	if r.PermitOpen == nil {
		return true
	}
	ps := strconv.Itoa(int(port))
	for _, e := range r.PermitOpen {
		h, p, err := net.SplitHostPort(e)
		if err != nil {
			continue
		}
		if (h == "*" || strings.EqualFold(h, host)) && (p == "*" || p == ps) {
			return true
		}
	}
	return false
}
