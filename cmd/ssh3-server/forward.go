package main

import (
	"fmt"
	"strings"

	"github.com/ssh3-project/ssh3/app/forward"
)

// forwardingPolicy reads -disable-forwarding: a comma list of tcp, udp
// (direct-udp and reverse-udp), reverse (reverse-tcp and reverse-udp),
// agent, or all.
func forwardingPolicy(list string) (forward.Policy, error) {
	var p forward.Policy
	for _, k := range splitList(list) {
		switch strings.ToLower(k) {
		case "all":
			p.DisableTCP, p.DisableUDP, p.DisableReverse, p.DisableAgent = true, true, true, true
		case "tcp":
			p.DisableTCP = true
		case "udp":
			p.DisableUDP = true
		case "reverse":
			p.DisableReverse = true
		case "agent":
			p.DisableAgent = true
		default:
			return p, fmt.Errorf("-disable-forwarding: unknown kind %q (want tcp, udp, reverse, agent or all)", k)
		}
	}
	return p, nil
}
