package forward

import (
	"sort"
	"strconv"
	"sync"
)

// Reasons under which a refusal or a drop is counted.
const (
	ReasonPolicy        = "policy"          // refused by policy (flags, no-port-forwarding, permitopen=)
	ReasonDialFailed    = "dial-failed"     // the target could not be reached
	ReasonBindFailed    = "bind-failed"     // a reverse listener could not bind
	ReasonBadHeader     = "bad-header"      // a channel without the fields its type needs
	ReasonNoDatagrams   = "no-datagrams"    // the peer cannot carry datagrams
	ReasonTooLarge      = "too-large"       // a datagram over the path's limit, dropped
	ReasonSendFailed    = "send-failed"     // a datagram or packet that could not be sent
	ReasonQueueFull     = "queue-full"      // a packet for a busy channel, dropped
	ReasonUnknownConn   = "unknown-conn"    // an accept channel naming nothing pending
	ReasonPendingFull   = "pending-full"    // inbound connections over the pending cap
	ReasonPendingExpiry = "pending-expired" // no accept channel within the hold time
	ReasonSOCKS         = "socks-malformed" // a SOCKS request that does not parse
	ReasonSOCKSRefused  = "socks-refused"   // a SOCKS command or address type not served
	ReasonOpenFailed    = "open-failed"     // the server refused a channel we opened
	ReasonAgent         = "agent-failed"    // the local agent could not be reached
	ReasonSources       = "sources-full"    // a new UDP source over the per-forward cap
)

// Stats counts refusals and drops by reason. The zero value is ready; it is
// safe for concurrent use.
type Stats struct {
	mu sync.Mutex // guards n
	n  map[string]uint64
}

// Add counts one event under reason.
func (s *Stats) Add(reason string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.n == nil {
		s.n = map[string]uint64{}
	}
	s.n[reason]++
	s.mu.Unlock()
}

// AddN counts n events under reason.
func (s *Stats) AddN(reason string, n uint64) {
	if s == nil || n == 0 {
		return
	}
	s.mu.Lock()
	if s.n == nil {
		s.n = map[string]uint64{}
	}
	s.n[reason] += n
	s.mu.Unlock()
}

// Get is the count under reason.
func (s *Stats) Get(reason string) uint64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[reason]
}

// Snapshot copies every count.
func (s *Stats) Snapshot() map[string]uint64 {
	out := map[string]uint64{}
	if s == nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.n {
		out[k] = v
	}
	return out
}

// String lists the counts, sorted by reason.
func (s *Stats) String() string {
	m := s.Snapshot()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		if out != "" {
			out += " "
		}
		out += k + "=" + strconv.FormatUint(m[k], 10)
	}
	return out
}
