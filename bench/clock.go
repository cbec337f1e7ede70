package bench

import "time"

// Clock is the time source of the relay, injected so tests need no wall clock.
type Clock interface {
	Now() time.Time
	// Sleep returns once the clock has reached Now()+d.
	Sleep(d time.Duration)
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }
