package forward

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Spec is one parsed forwarding option. For -L and -D the bind address is
// local and the target remote; for -R the bind address is on the server
// and the target local.
type Spec struct {
	Network  string // "tcp" or "udp"
	BindHost string // "" for the default (loopback for -L/-D, the server's choice for -R)
	BindPort int
	Host     string // target host; "" for -D
	Port     int
}

// BindAddr is the bind address, host:port.
func (s Spec) BindAddr(defaultHost string) string {
	h := s.BindHost
	if h == "" {
		h = defaultHost
	}
	return net.JoinHostPort(h, strconv.Itoa(s.BindPort))
}

// Target is the target, host:port.
func (s Spec) Target() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func (s Spec) String() string {
	b := s.BindAddr("")
	if s.Host == "" {
		return s.Network + " " + b
	}
	return s.Network + " " + b + " -> " + s.Target()
}

// ErrBadSpec is matched by every forwarding specification that does not
// parse.
var ErrBadSpec = errors.New("bad forwarding specification")

func badSpec(spec, why string) error { return fmt.Errorf("%w %q: %s", ErrBadSpec, spec, why) }

// ParseLocal reads -L and -R arguments: [bind:]port:host:hostport, IPv6
// addresses in brackets, and the UDP form udp:[bind:]port:host:hostport
// (this project's, spec §5.2). A leading "tcp:" is accepted too.
func ParseLocal(spec string) (Spec, error) {
	s := Spec{Network: "tcp"}
	rest := spec
	if r, ok := strings.CutPrefix(rest, "udp:"); ok {
		s.Network, rest = "udp", r
	} else if r, ok := strings.CutPrefix(rest, "tcp:"); ok {
		rest = r
	}
	f, err := splitFields(rest)
	if err != nil {
		return s, badSpec(spec, err.Error())
	}
	switch len(f) {
	case 3:
		f = append([]string{""}, f...)
	case 4:
	default:
		return s, badSpec(spec, "want [bind_address:]port:host:hostport")
	}
	s.BindHost, s.Host = f[0], f[2]
	if s.BindPort, err = parsePort(f[1], true); err != nil {
		return s, badSpec(spec, err.Error())
	}
	if s.Port, err = parsePort(f[3], false); err != nil {
		return s, badSpec(spec, err.Error())
	}
	if s.Host == "" {
		return s, badSpec(spec, "empty host")
	}
	return s, nil
}

// ParseDynamic reads a -D argument: [bind:]port.
func ParseDynamic(spec string) (Spec, error) {
	s := Spec{Network: "tcp"}
	f, err := splitFields(spec)
	if err != nil {
		return s, badSpec(spec, err.Error())
	}
	switch len(f) {
	case 1:
		f = append([]string{""}, f...)
	case 2:
	default:
		return s, badSpec(spec, "want [bind_address:]port")
	}
	s.BindHost = f[0]
	if s.BindPort, err = parsePort(f[1], true); err != nil {
		return s, badSpec(spec, err.Error())
	}
	return s, nil
}

// ParseOriginal reads the original client's -forward-tcp and -forward-udp
// argument, [localip@]localport/remoteip@remoteport.
func ParseOriginal(network, spec string) (Spec, error) {
	s := Spec{Network: network}
	local, remote, ok := strings.Cut(spec, "/")
	if !ok {
		return s, badSpec(spec, "want localport/remoteip@remoteport")
	}
	if h, p, ok := strings.Cut(local, "@"); ok {
		s.BindHost, local = strings.Trim(h, "[]"), p
	}
	h, p, ok := strings.Cut(remote, "@")
	if !ok {
		return s, badSpec(spec, "want localport/remoteip@remoteport")
	}
	s.Host = strings.Trim(h, "[]")
	var err error
	if s.BindPort, err = parsePort(local, true); err != nil {
		return s, badSpec(spec, err.Error())
	}
	if s.Port, err = parsePort(p, false); err != nil {
		return s, badSpec(spec, err.Error())
	}
	if _, err := netip.ParseAddr(s.Host); err != nil {
		return s, badSpec(spec, "remote address must be an IP address")
	}
	return s, nil
}

// splitFields splits on colons outside brackets and strips the brackets.
func splitFields(s string) ([]string, error) {
	var out []string
	for s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, errors.New("unclosed [")
			}
			out = append(out, s[1:end])
			s = s[end+1:]
			if s == "" {
				break
			}
			if s[0] != ':' {
				return nil, errors.New("missing : after ]")
			}
			s = s[1:]
			if s == "" {
				out = append(out, "")
			}
			continue
		}
		field, rest, found := strings.Cut(s, ":")
		out = append(out, field)
		s = rest
		if found && rest == "" {
			out = append(out, "")
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

// parsePort reads a port; zero is allowed where the system may choose.
func parsePort(p string, zeroOK bool) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !zeroOK) {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}
