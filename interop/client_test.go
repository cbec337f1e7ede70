package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// opts is what a cell asks of a client beyond a plain key login.
type opts struct {
	password bool    // log in with the account's password, not the key
	agent    bool    // forward the agent
	tcp      [2]int  // local TCP forward: local port, target port on loopback
	udp      [2]int  // local UDP forward, the same
	jump     *server // reach the server through this one
}

// clientCmd is im's client, run as the account, toward s with o, running
// command (a shell session if command is empty).
func (w *world) clientCmd(ctx context.Context, im impl, s *server, o opts, command string) *exec.Cmd {
	var args []string
	env := []string{}
	dest := fmt.Sprintf("%s@127.0.0.1:%d/ssh3-term", account, s.port)
	jump := func(j *server) string { return fmt.Sprintf("%s@127.0.0.1:%d/ssh3-term", account, j.port) }
	if im.name == "ours" {
		args = []string{"-q", "-insecure"}
		if o.password {
			// No key to find: HOME is an empty folder (the account's own
			// is where the key is); the password comes through SSH_ASKPASS.
			args = append(args, "-use-password")
			env = append(env, "SSH_ASKPASS="+w.askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
		} else {
			args = append(args, "-i", w.key)
		}
		if o.agent {
			args = append(args, "-A")
		}
		if o.tcp[0] != 0 {
			args = append(args, "-L", fmt.Sprintf("%d:127.0.0.1:%d", o.tcp[0], o.tcp[1]))
		}
		if o.udp[0] != 0 {
			args = append(args, "-L", fmt.Sprintf("udp:%d:127.0.0.1:%d", o.udp[0], o.udp[1]))
		}
		if o.jump != nil {
			args = append(args, "-J", jump(o.jump))
		}
	} else {
		args = []string{"-insecure"}
		if o.password {
			args = append(args, "-use-password")
		} else {
			args = append(args, "-privkey", w.key)
		}
		if o.agent {
			args = append(args, "-forward-agent")
		}
		if o.tcp[0] != 0 {
			args = append(args, "-forward-tcp", fmt.Sprintf("%d/127.0.0.1@%d", o.tcp[0], o.tcp[1]))
		}
		if o.udp[0] != 0 {
			args = append(args, "-forward-udp", fmt.Sprintf("%d/127.0.0.1@%d", o.udp[0], o.udp[1]))
		}
		if o.jump != nil {
			args = append(args, "-proxy-jump", jump(o.jump))
		}
	}
	args = append(args, dest)
	if command != "" {
		args = append(args, command)
	}
	cmd := w.asUser(exec.CommandContext(ctx, im.client, args...))
	cmd.Env = append(cmd.Env, env...)
	if o.agent {
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+w.agent)
	}
	if o.password && im.name == "ours" {
		home, err := os.MkdirTemp(w.tmp, "home-")
		if err == nil {
			_ = os.Chown(home, int(w.uid), int(w.gid))
			cmd.Env = append(cmd.Env, "HOME="+home) // the later HOME wins
		}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is what a client run gave.
type result struct {
	stdout, stderr string
	code           int
}

// run runs cmd with stdin and returns its output and exit status. The
// original's client writes "\r" to stdout as it exits (client.go:586): it is
// taken off, and counted as the peer's.
func run(im impl, cmd *exec.Cmd, stdin []byte) (result, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), code: -1}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
	}
	if im.name == "original" {
		r.stdout = strings.TrimSuffix(r.stdout, "\r")
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return r, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return r, fmt.Errorf("client killed by %v (the cell's time limit?); stderr %q", ws.Signal(), tail(r.stderr, 300))
	}
	return r, nil
}

// ptyRun starts cmd on a pty of rows×cols and returns its conversation.
type ptyRun struct {
	cmd  *exec.Cmd
	f    *os.File
	out  *lockedBuffer
	done chan struct{}
}

func startPty(cmd *exec.Cmd, rows, cols uint16) (*ptyRun, error) {
	cmd.SysProcAttr.Setpgid = false // pty makes a session, and so a group
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		return nil, err
	}
	p := &ptyRun{cmd: cmd, f: f, out: &lockedBuffer{}, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_, _ = io.Copy(p.out, f) // ends with EIO once the client exits
	}()
	return p, nil
}

func (p *ptyRun) send(s string) error {
	_, err := p.f.WriteString(s)
	return err
}

// wait waits for the client's exit and returns its status.
func (p *ptyRun) wait() (int, error) {
	err := p.cmd.Wait()
	_ = p.f.Close()
	<-p.done
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, err
	}
	return p.cmd.ProcessState.ExitCode(), nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
