package verify

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ssh3-project/ssh3/auth"
)

// addrPattern is one entry of a from= list: a CIDR prefix or a wildcard
// pattern ('*', '?') matched against the address text, possibly negated.
// Host names are never resolved (as sshd with UseDNS no), so a name pattern
// without wildcards simply never matches.
type addrPattern struct {
	negate bool
	prefix netip.Prefix // valid for CIDR entries
	glob   string       // lower case, for the others
}

func parseFrom(list string) ([]addrPattern, error) {
	var pats []addrPattern
	for _, e := range strings.Split(list, ",") {
		p := addrPattern{}
		e, p.negate = strings.CutPrefix(e, "!")
		if e == "" {
			return nil, fmt.Errorf("%w: empty from= entry", auth.ErrBadLine)
		}
		if strings.Contains(e, "/") {
			pf, err := netip.ParsePrefix(e)
			if err != nil || pf.Masked() != pf {
				return nil, fmt.Errorf("%w: from= prefix %s", auth.ErrBadLine, auth.SafeQuote(e))
			}
			p.prefix = pf
		} else {
			p.glob = strings.ToLower(e)
		}
		pats = append(pats, p)
	}
	return pats, nil
}

// matchFrom follows sshd's match_host_and_ip: any negated match refuses,
// otherwise at least one positive match is needed.
func matchFrom(pats []addrPattern, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	text := a.String()
	matched := false
	for _, p := range pats {
		var m bool
		if p.prefix.IsValid() {
			m = p.prefix.Contains(a)
		} else {
			m = wildcardMatch(p.glob, text)
		}
		if m && p.negate {
			return false
		}
		matched = matched || m
	}
	return matched
}

// wildcardMatch matches s against a pattern of literal bytes, '*' (any run)
// and '?' (one byte), as OpenSSH's match_pattern does. It runs in
// O(len(p)·len(s)) with the classic backtracking-to-last-star method.
func wildcardMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
