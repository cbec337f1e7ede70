package host

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/creack/pty"
	"github.com/ssh3-project/ssh3/app/session"
)

// Spec says what to start and how.
type Spec struct {
	Account *Account
	Command string           // empty: the login shell
	Env     []string         // the whole environment (LoginEnv plus accepted env requests)
	Pty     *session.PtySpec // nil: pipes
}

// Process is a started command. Stdin, Stdout and Stderr are its pipes, or
// all the pty's master for a pty session (Stderr nil then).
type Process struct {
	cmd    *exec.Cmd
	Stdin  io.WriteCloser
	Stdout io.Reader
	Stderr io.Reader
	pty    *os.File
}

// ErrCannotSwitchUser is returned when the server, not running as root, is
// asked to start a session for another account.
var ErrCannotSwitchUser = errors.New("session: a server not run as root can only serve its own user")

// command builds the exec.Cmd: "<shell> -c <command>", or the login shell
// with argv[0] "-<name>" so it reads the profile files.
func command(s Spec) *exec.Cmd {
	shell := s.Account.Shell
	var cmd *exec.Cmd
	if s.Command == "" {
		cmd = exec.Command(shell)
		cmd.Args = []string{"-" + filepath.Base(shell)}
	} else {
		cmd = exec.Command(shell, "-c", s.Command)
	}
	cmd.Env = s.Env
	cmd.Dir = s.Account.Home
	if st, err := os.Stat(cmd.Dir); err != nil || !st.IsDir() {
		cmd.Dir = "/"
	}
	return cmd
}

// credential is the SysProcAttr credential for running as a; nil when this
// process already is a.
func credential(a *Account) (*syscall.Credential, error) {
	euid := uint32(os.Geteuid())
	if euid == a.UID {
		return nil, nil
	}
	if euid != 0 {
		return nil, ErrCannotSwitchUser
	}
	return &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: a.Groups}, nil
}

// Start starts the command in a new session (its own process group), as the
// account, with a pty or with pipes.
func Start(s Spec) (*Process, error) {
	cred, err := credential(s.Account)
	if err != nil {
		return nil, err
	}
	cmd := command(s)
	attrs := &syscall.SysProcAttr{Setsid: true, Credential: cred}
	if s.Pty != nil {
		return startPty(cmd, attrs, s.Pty)
	}
	cmd.SysProcAttr = attrs
	p := &Process{cmd: cmd}
	if p.Stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("session: stdin: %w", err)
	}
	if p.Stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("session: stdout: %w", err)
	}
	if p.Stderr, err = cmd.StderrPipe(); err != nil {
		return nil, fmt.Errorf("session: stderr: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("session: starting %s: %w", cmd.Path, err)
	}
	return p, nil
}

func startPty(cmd *exec.Cmd, attrs *syscall.SysProcAttr, ps *session.PtySpec) (*Process, error) {
	attrs.Setctty = true
	ws := &pty.Winsize{Cols: ps.Columns, Rows: ps.Rows, X: ps.Width, Y: ps.Height}
	master, err := pty.StartWithAttrs(cmd, ws, attrs)
	if err != nil {
		return nil, fmt.Errorf("session: starting %s on a pty: %w", cmd.Path, err)
	}
	if len(ps.Modes) > 0 {
		if err := session.ApplyModes(master, ps.Modes); err != nil {
			_ = cmd.Process.Kill()
			_ = master.Close()
			_ = cmd.Wait()
			return nil, err
		}
	}
	// A pty cannot be half-closed: stdin EOF leaves the master open.
	return &Process{cmd: cmd, Stdin: nopCloser{master}, Stdout: master, pty: master}, nil
}

// Resize changes the pty's window size; without a pty it does nothing.
func (p *Process) Resize(cols, rows, width, height uint16) error {
	if p.pty == nil {
		return nil
	}
	return pty.Setsize(p.pty, &pty.Winsize{Cols: cols, Rows: rows, X: width, Y: height})
}

// HasPty reports whether the process runs on a pty.
func (p *Process) HasPty() bool { return p.pty != nil }

// Pid is the process ID, also its process group ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the whole process group.
func (p *Process) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Wait waits for the command to exit and releases its resources. For a pty
// session the master stays open until Close, so output written just before
// the exit can still be read.
func (p *Process) Wait() (*os.ProcessState, error) {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return p.cmd.ProcessState, err
	}
	return p.cmd.ProcessState, nil
}

// Close releases the pty master, if any.
func (p *Process) Close() error {
	if p.pty != nil {
		return p.pty.Close()
	}
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
