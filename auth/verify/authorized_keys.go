package verify

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ssh3-project/ssh3/auth"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKey is one usable key line of an authorized_keys or
// authorized_identities file.
type AuthorizedKey struct {
	Key          ssh.PublicKey
	Comment      string
	Restrictions auth.Restrictions
	From         string    // from= pattern list as written; "" = any source
	Expiry       time.Time // expiry-time=; zero = none
	from         []addrPattern
}

// Permits reports why (if at all) the key may not be used from remote at now.
// An invalid remote address never matches a from= list.
func (k *AuthorizedKey) Permits(remote netip.Addr, now time.Time) error {
	if !k.Expiry.IsZero() && !now.Before(k.Expiry) {
		return fmt.Errorf("%w: key expired at %s", auth.ErrNoMatchingIdentity, k.Expiry.Format(time.RFC3339))
	}
	if k.from != nil && !matchFrom(k.from, remote) {
		return fmt.Errorf("%w: source %v not allowed by from=", auth.ErrNoMatchingIdentity, remote)
	}
	return nil
}

// ParseAuthorizedKeyLine parses one OpenSSH authorized_keys line (sshd(8)
// "AUTHORIZED_KEYS FILE FORMAT") with ssh.ParseAuthorizedKey, then applies
// the options. Accepted key types: ssh-ed25519, ecdsa-sha2-nistp256,
// ecdsa-sha2-nistp384 and ssh-rsa of at least MinRSABits; others fail with
// ErrUnsupportedKey. An option this server does not implement fails with
// auth.ErrRefusedOption: the key is refused rather than silently widened
// (protocol notes §4.5).
func ParseAuthorizedKeyLine(line string) (*AuthorizedKey, error) {
	if strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("%w: embedded newline", auth.ErrBadLine)
	}
	pub, comment, opts, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", auth.ErrBadLine, err)
	}
	if err := auth.CheckPublicKey(pub); err != nil {
		return nil, err
	}
	k := &AuthorizedKey{Key: pub, Comment: comment}
	for _, o := range opts {
		if err := k.applyOption(o); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// applyOption applies one option in order, as sshd does: "restrict" clears
// every permission and the later "pty", "port-forwarding", … give one back.
func (k *AuthorizedKey) applyOption(opt string) error {
	name, value, hasValue := strings.Cut(opt, "=")
	name = strings.ToLower(name)
	if hasValue {
		v, err := dequote(value)
		if err != nil {
			return fmt.Errorf("%w: option %s: %v", auth.ErrBadLine, auth.SafeQuote(name), err)
		}
		value = v
	}
	r := &k.Restrictions
	flags := map[string]*bool{
		"no-pty": &r.NoPTY, "no-port-forwarding": &r.NoPortForwarding,
		"no-agent-forwarding": &r.NoAgentForwarding, "no-x11-forwarding": &r.NoX11Forwarding,
		"no-user-rc": &r.NoUserRC,
	}
	allows := map[string]*bool{
		"pty": &r.NoPTY, "port-forwarding": &r.NoPortForwarding,
		"agent-forwarding": &r.NoAgentForwarding, "x11-forwarding": &r.NoX11Forwarding,
		"user-rc": &r.NoUserRC,
	}
	if f, ok := flags[name]; ok && !hasValue {
		*f = true
		return nil
	}
	if f, ok := allows[name]; ok && !hasValue {
		*f = false
		return nil
	}
	switch {
	case name == "restrict" && !hasValue:
		for _, f := range flags {
			*f = true
		}
		return nil
	case name == "command" && hasValue:
		if r.ForcedCommand != "" {
			return fmt.Errorf("%w: duplicate command=", auth.ErrBadLine)
		}
		r.ForcedCommand = value
		return nil
	case name == "from" && hasValue:
		return k.setFrom(value)
	case name == "permitopen" && hasValue:
		if err := checkPermitOpen(value); err != nil {
			return err
		}
		r.PermitOpen = append(r.PermitOpen, value)
		return nil
	case name == "expiry-time" && hasValue:
		t, err := parseExpiry(value)
		if err != nil {
			return err
		}
		if k.Expiry.IsZero() || t.Before(k.Expiry) {
			k.Expiry = t
		}
		return nil
	}
	// environment=, tunnel=, permitlisten=, principals=, cert-authority,
	// no-touch-required, verify-required and anything unknown.
	return fmt.Errorf("%w: %s", auth.ErrRefusedOption, auth.SafeQuote(name))
}

// dequote removes the double quotes sshd requires around option values and
// resolves \" escapes.
func dequote(v string) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", fmt.Errorf("value not in double quotes")
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && v[i+1] == '"' {
			i++
		} else if v[i] == '"' {
			return "", fmt.Errorf("unescaped auth.quote")
		}
		b.WriteByte(v[i])
	}
	return b.String(), nil
}

func (k *AuthorizedKey) setFrom(list string) error {
	pats, err := parseFrom(list)
	if err != nil {
		return err
	}
	if k.from != nil {
		return fmt.Errorf("%w: duplicate from=", auth.ErrBadLine)
	}
	k.From, k.from = list, pats
	return nil
}

func checkPermitOpen(v string) error {
	h, p, err := net.SplitHostPort(v)
	if err != nil || h == "" {
		return fmt.Errorf("%w: permitopen %s", auth.ErrBadLine, auth.SafeQuote(v))
	}
	if p == "*" {
		return nil
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w: permitopen port %s", auth.ErrBadLine, auth.SafeQuote(p))
	}
	return nil
}

// parseExpiry reads sshd's expiry-time: YYYYMMDD[HHMM[SS]], local time unless
// followed by Z (UTC).
func parseExpiry(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("%w: expiry-time %s", auth.ErrBadLine, auth.SafeQuote(v))
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: expiry-time %s", auth.ErrBadLine, auth.SafeQuote(v))
	}
	return t, nil
}
