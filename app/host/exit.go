package host

import (
	"os"
	"syscall"

	"github.com/ssh3-project/ssh3/frame"
)

// ExitMessage is the request that reports how a command ended:
// exit-status for a normal exit, exit-signal for a death by signal
// (X-ROB-35). Unlike the original, a signal never turns into an exit code
// no varint can carry.
func ExitMessage(ps *os.ProcessState) frame.Request {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &frame.ExitSignal{
			Signal:     SignalName(ws.Signal()),
			CoreDumped: ws.CoreDump(),
		}
	}
	code := ps.ExitCode()
	if code < 0 {
		code = 255
	}
	return &frame.ExitStatus{Status: uint64(code)}
}

// ExitCodeFor is the status a client reports for a death by signal when
// the peer cannot carry exit-signal (a ssh3-alpha peer without CapExitSignal):
// 128 plus the signal number, as shells do.
func ExitCodeFor(sig syscall.Signal) uint64 { return 128 + uint64(sig) }
