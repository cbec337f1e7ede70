package conn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Startups bounds the connections that have not yet authenticated, with
// the semantics of sshd's MaxStartups "start:rate:full": below Start every
// connection is served; from Start on, a new one is refused with
// probability Rate percent, rising linearly to 100 percent at Full. A
// connection counts from its QUIC accept until its first conversation is
// established (the 200) or it ends.
type Startups struct {
	Start, Rate, Full int
}

// DefaultStartups is sshd's default, 10:30:100.
var DefaultStartups = Startups{Start: 10, Rate: 30, Full: 100}

// DefaultLoginGraceTime is how long a connection may stay without an
// established conversation before it is closed; sshd's LoginGraceTime.
const DefaultLoginGraceTime = 120 * time.Second

// ParseStartups reads "start:rate:full" or a single "full" (sshd's forms).
func ParseStartups(s string) (Startups, error) {
	parts := strings.Split(s, ":")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Startups{}, fmt.Errorf("conn: startups %q: %q is not a count", s, p)
		}
		nums[i] = n
	}
	var st Startups
	switch len(nums) {
	case 1:
		st = Startups{Start: nums[0], Rate: 100, Full: nums[0]}
	case 3:
		st = Startups{Start: nums[0], Rate: nums[1], Full: nums[2]}
	default:
		return Startups{}, fmt.Errorf("conn: startups %q: want start:rate:full or full", s)
	}
	if err := st.check(); err != nil {
		return Startups{}, err
	}
	return st, nil
}

func (st Startups) check() error {
	switch {
	case st.Full < 1:
		return errors.New("conn: startups: full must be at least 1")
	case st.Start > st.Full:
		return fmt.Errorf("conn: startups: start %d above full %d", st.Start, st.Full)
	case st.Rate < 1 || st.Rate > 100:
		return fmt.Errorf("conn: startups: rate %d outside 1..100", st.Rate)
	}
	return nil
}

// String gives the "start:rate:full" form.
func (st Startups) String() string {
	return fmt.Sprintf("%d:%d:%d", st.Start, st.Rate, st.Full)
}

// dropPercent is the chance, in percent, that a new connection is refused
// while n are pending (sshd's drop_connection).
func (st Startups) dropPercent(n int) int {
	switch {
	case n >= st.Full:
		return 100
	case n < st.Start:
		return 0
	}
	return st.Rate + (100-st.Rate)*(n-st.Start)/(st.Full-st.Start)
}

// startupGate counts the unauthenticated connections of one Server.
type startupGate struct {
	limits Startups
	roll   func() int // uniform in [0, 100)

	mu      sync.Mutex // guards pending
	pending int
}

func newStartupGate(st Startups) *startupGate {
	return &startupGate{limits: st, roll: func() int { return rand.IntN(100) }}
}

// admit counts a new connection, or refuses it (false).
func (g *startupGate) admit() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.limits.dropPercent(g.pending); p >= 100 || p > 0 && g.roll() < p {
		return false
	}
	g.pending++
	return true
}

// leave uncounts a connection that authenticated or ended.
func (g *startupGate) leave() {
	g.mu.Lock()
	g.pending--
	g.mu.Unlock()
}

// count reports how many connections are counted.
func (g *startupGate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending
}
