package host

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// TestMain handles SIGHUP, so the commands the tests start get its default
// action even when the test runs under nohup (an ignored signal stays
// ignored across exec; a handled one is reset).
func TestMain(m *testing.M) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	os.Exit(m.Run())
}
