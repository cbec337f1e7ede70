//go:build windows

package main

import "time"

// resizePoll is how often the Windows console's size is read: it has no
// resize signal (OpenSSH for Windows polls too).
const resizePoll = 250 * time.Millisecond

// resizeEvents ticks every resizePoll; relaySizes sends only changes.
func resizeEvents() (<-chan time.Time, func()) {
	t := time.NewTicker(resizePoll)
	return t.C, t.Stop
}
