package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
)

// terminal is the user's terminal: stdin for the session, /dev/tty for
// prompts (as ssh asks there even when stdin is redirected).
type terminal struct {
	stdin  *os.File
	stderr io.Writer
}

func newTerminal(stdin *os.File, stderr io.Writer) *terminal {
	return &terminal{stdin: stdin, stderr: stderr}
}

func (t *terminal) isTerminal() bool { return t.stdin != nil && term.IsTerminal(int(t.stdin.Fd())) }

var errNoTerminal = errors.New("no terminal to ask on")

// openTTY opens /dev/tty for a prompt.
func openTTY() (*os.File, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	return f, nil
}

// readSecret asks for a password or passphrase on /dev/tty, or through
// the askpass program where ssh(1) would use one (SSH_ASKPASS).
func (t *terminal) readSecret(prompt string) (string, error) {
	tty, err := openTTY()
	if prog := askpassProgram(os.Getenv, err == nil, fileExists); prog != "" {
		if tty != nil {
			_ = tty.Close()
		}
		return runAskpass(prog, prompt)
	}
	if err != nil {
		return "", err
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return string(b), err
}

func (t *terminal) passphrase(file string) ([]byte, error) {
	s, err := t.readSecret("Enter passphrase for key '" + file + "': ")
	return []byte(s), err
}

// askTrust is the first-use question about a self-signed certificate.
func (t *terminal) askTrust(_ context.Context, info hosttrust.PromptInfo) (bool, error) {
	tty, err := openTTY()
	if err != nil {
		return false, hosttrust.ErrNoPrompt
	}
	defer tty.Close()
	fmt.Fprintf(tty, "The authenticity of host '%s' can't be established.\n", info.HostKey)
	fmt.Fprintf(tty, "Its self-signed certificate fingerprint is %s.\n", info.Fingerprint)
	for {
		fmt.Fprint(tty, "Are you sure you want to continue connecting (yes/no)? ")
		var line strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := tty.Read(buf)
			if err != nil {
				return false, err
			}
			if n == 1 && buf[0] == '\n' {
				break
			}
			line.Write(buf[:n])
		}
		switch strings.ToLower(strings.TrimSpace(line.String())) {
		case "yes":
			fmt.Fprintf(tty, "Warning: permanently added '%s' to the list of known hosts.\n", info.HostKey)
			return true, nil
		case "no":
			return false, nil
		}
		fmt.Fprint(tty, "Please type 'yes' or 'no': ")
	}
}

// makeRaw puts the terminal in raw mode and returns what restores it; the
// caller defers it, so every return path restores the terminal.
func (t *terminal) makeRaw() (func(), error) {
	fd := int(t.stdin.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("terminal raw mode: %w", err)
	}
	return func() { _ = term.Restore(fd, old) }, nil
}

// ptySpec describes this terminal for pty-req.
func (t *terminal) ptySpec() *session.PtySpec {
	p := &session.PtySpec{Term: os.Getenv("TERM"), Columns: 80, Rows: 24}
	if p.Term == "" {
		p.Term = "dumb"
	}
	if t.isTerminal() {
		if w, h, err := term.GetSize(int(t.stdin.Fd())); err == nil {
			p.Columns, p.Rows = uint16(w), uint16(h)
		}
	}
	return p
}

// ptyRequest is ptySpec plus the terminal's modes, which the remote pty
// takes on (RFC 4254 §8); only the first request carries them.
func (t *terminal) ptyRequest() *session.PtySpec {
	p := t.ptySpec()
	if t.isTerminal() {
		if modes, err := session.ModesOf(t.stdin); err == nil {
			p.Modes = modes
		}
	}
	return p
}

// watchResize sends the terminal's size whenever it changes, until
// stopped: on SIGWINCH, or on Windows, whose console has no such signal, on
// a poll (resizeEvents).
func (t *terminal) watchResize(out chan<- session.PtySpec) (stop func()) {
	events, stopEvents := resizeEvents()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		relaySizes(events, done, t.ptySpec, out)
	}()
	return func() {
		stopEvents()
		close(done)
		<-finished
	}
}

// relaySizes sends size() to out after each event when it differs from the
// last one sent (the size at the start counts as sent: pty-req carried it),
// dropping it if out is full, until done.
func relaySizes[E any](events <-chan E, done <-chan struct{}, size func() *session.PtySpec, out chan<- session.PtySpec) {
	last := *size()
	for {
		select {
		case <-done:
			return
		case <-events:
			now := *size()
			if now.Columns == last.Columns && now.Rows == last.Rows {
				continue
			}
			select {
			case out <- now:
				last = now
			default:
			}
		}
	}
}
