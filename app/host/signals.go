package host

import (
	"syscall"
)

// signalNames are the signal names of RFC 4254 §6.10, without "SIG", plus
// the common ones a client may send.
var signalNames = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "FPE": syscall.SIGFPE, "HUP": syscall.SIGHUP,
	"ILL": syscall.SIGILL, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE,
	"QUIT": syscall.SIGQUIT, "SEGV": syscall.SIGSEGV, "TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2, "CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP, "TSTP": syscall.SIGTSTP,
	"WINCH": syscall.SIGWINCH, "BUS": syscall.SIGBUS, "TRAP": syscall.SIGTRAP, "SYS": syscall.SIGSYS,
	"XCPU": syscall.SIGXCPU, "XFSZ": syscall.SIGXFSZ, "TTIN": syscall.SIGTTIN, "TTOU": syscall.SIGTTOU,
}

// SignalByName maps a wire signal name ("INT") to the signal.
func SignalByName(name string) (syscall.Signal, bool) {
	s, ok := signalNames[name]
	return s, ok
}

// SignalName maps a signal to its wire name, "UNKNOWN" for a signal with
// none.
func SignalName(sig syscall.Signal) string {
	for name, s := range signalNames {
		if s == sig {
			return name
		}
	}
	return "UNKNOWN"
}
