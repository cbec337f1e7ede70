package verify

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimiter is a per-source token bucket charged by authentication
// failures. IPv6 sources share a bucket per /64. The number of buckets is
// capped: when full, buckets that have refilled are dropped first, then an
// arbitrary one.
type RateLimiter struct {
	burst      float64
	every      time.Duration // one token back per every
	maxEntries int

	mu      sync.Mutex // guards buckets
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRateLimiter allows burst failures at once per source, then one per
// every, tracking at most maxEntries sources.
func NewRateLimiter(burst int, every time.Duration, maxEntries int) *RateLimiter {
	return &RateLimiter{
		burst: float64(burst), every: every, maxEntries: maxEntries,
		buckets: make(map[netip.Prefix]*bucket),
	}
}

func sourceKey(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// refill brings b up to date; the caller holds l.mu.
func (l *RateLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(l.burst, b.tokens+float64(el)/float64(l.every))
		b.last = now
	}
}

// Allow reports whether the source still has a failure to spend.
func (l *RateLimiter) Allow(a netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[sourceKey(a)]
	if !ok {
		return true
	}
	l.refill(b, now)
	return b.tokens >= 1
}

// Failure charges one token to the source.
func (l *RateLimiter) Failure(a netip.Addr, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := sourceKey(a)
	b, ok := l.buckets[k]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[k] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

// makeRoom keeps len(buckets) below maxEntries; the caller holds l.mu.
func (l *RateLimiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxEntries {
		return
	}
	for k, b := range l.buckets {
		if l.refill(b, now); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxEntries {
			break
		}
		delete(l.buckets, k)
	}
}

// Len is the number of tracked sources.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// lazyLimiter creates the default limiter on first use.
type lazyLimiter struct {
	once sync.Once
	l    *RateLimiter
}

func (z *lazyLimiter) get(configured *RateLimiter) *RateLimiter {
	if configured != nil {
		return configured
	}
	z.once.Do(func() {
		z.l = NewRateLimiter(DefaultFailureBurst, DefaultFailureRefill, DefaultLimiterEntries)
	})
	return z.l
}
