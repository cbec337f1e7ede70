package conformance

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// passwordPrompt is what a client prints before it reads a password from
// its terminal: the original prints "password for URL:" and then calls
// term.ReadPassword (client/client.go:277-278).
var passwordPrompt = regexp.MustCompile(`(?i)(password|passphrase)[^\n]*:\s*$`)

// runPTY runs the client under test with a pty as its controlling terminal
// and standard streams, and types password (then Enter) once, at the first
// prompt it prints. Everything the client writes to the terminal is its
// stdout (a terminal has no separate stderr). It ends as runProcess does.
func runPTY(ctx context.Context, args []string, home string, env []string, password string, wait time.Duration) *clientRun {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	master, slave, err := pty.Open()
	if err != nil {
		return &clientRun{startErr: err}
	}
	defer master.Close()
	cmd := exec.CommandContext(cctx, args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), "HOME="+home, "NO_COLOR=1", "TERM=dumb"), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err = cmd.Start()
	_ = slave.Close() // the client holds its own copy
	if err != nil {
		return &clientRun{startErr: err}
	}
	out := &ptyTranscript{}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		out.typeAt(master, passwordPrompt, password+"\r")
	}()
	err = cmd.Wait()
	_ = killGroup(cmd)
	_ = master.SetReadDeadline(time.Now()) // the terminal stays open while a child holds it
	<-copied
	r := &clientRun{stdout: out.String(), took: time.Since(start)}
	r.setExit(cctx, err)
	return r
}

// ptyTranscript is what the client wrote to its terminal.
type ptyTranscript struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (p *ptyTranscript) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// typeAt copies the terminal's output from master until it ends, and
// writes answer to it once, when what was written so far matches prompt.
// A read error (EIO once the client's side is closed) ends it.
func (p *ptyTranscript) typeAt(master io.ReadWriter, prompt *regexp.Regexp, answer string) {
	typed := false
	buf := make([]byte, 4096)
	for {
		n, err := master.Read(buf)
		p.mu.Lock()
		p.buf.Write(buf[:n])
		seen := p.buf.Bytes()
		if !typed && prompt.Match(seen[max(0, len(seen)-256):]) {
			typed = true
			_, _ = io.WriteString(master, answer)
		}
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}
