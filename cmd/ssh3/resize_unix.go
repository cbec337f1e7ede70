//go:build !windows

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// resizeEvents delivers SIGWINCH.
func resizeEvents() (<-chan os.Signal, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	return sig, func() { signal.Stop(sig) }
}
