//go:build race

package forward_test

// raceEnabled: the race detector slows every goroutine several times, so
// UDP readers fall behind more often and loss bounds are looser.
const raceEnabled = true
