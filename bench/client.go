package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// clientRun is one client process's timings and cost.
type clientRun struct {
	Start     time.Time
	FirstByte time.Duration // from Start to the first byte on stdout; 0 if none
	Exit      time.Duration
	Bytes     int64 // read from stdout
	CPU       time.Duration
	Code      int
	Stderr    string
}

// clientEnv keeps the user's agent and config out of the measurement.
func clientEnv(h *Host) []string {
	env := []string{"HOME=" + h.Dir, "SSH_AUTH_SOCK=", "LANG=C"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "TERM=") {
			env = append(env, kv)
		}
	}
	return env
}

// RunClient runs the client for cmd against s in the client's namespace,
// feeding stdin (nil: empty) and counting stdout.
func RunClient(ctx context.Context, n *Net, h *Host, s *Server, cmd []string, stdin io.Reader, limit time.Duration) (clientRun, error) {
	return runClient(ctx, n, h, s, cmd, stdin, nil, limit)
}

// runClient is RunClient; a non-nil stdout file is given to the client as
// it is (no pipe, nothing counted, no first byte), so bulk output costs the
// client what it would writing to a file.
func runClient(ctx context.Context, n *Net, h *Host, s *Server, cmd []string, stdin io.Reader, stdout *os.File, limit time.Duration) (clientRun, error) {
	return runClientOpts(ctx, n, h, s, cmd, stdin, stdout, limit, nil)
}

// traceOpts makes a run traced: env added, args inserted after the
// program's name, and stderr lines also timestamped into lines.
type traceOpts struct {
	env   []string
	args  []string
	lines *stampedLines
}

func runClientOpts(ctx context.Context, n *Net, h *Host, s *Server, cmd []string, stdin io.Reader, stdout *os.File, limit time.Duration, tr *traceOpts) (clientRun, error) {
	argv, err := s.ClientCommand(h, cmd)
	if err != nil {
		return clientRun{}, err
	}
	if tr != nil && len(tr.args) > 0 {
		argv = append(append([]string{argv[0]}, tr.args...), argv[1:]...)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = append(clientEnv(h), s.Impl.Env...)
	c.Stdin = stdin
	var stderr strings.Builder
	c.Stderr = &limitedWriter{w: &stderr, n: 4096}
	if tr != nil {
		c.Env = append(c.Env, tr.env...)
		if tr.lines != nil {
			c.Stderr = io.MultiWriter(c.Stderr, tr.lines)
		}
	}
	var out io.Reader = eofReader{}
	if stdout != nil {
		c.Stdout = stdout
	} else if out, err = c.StdoutPipe(); err != nil {
		return clientRun{}, err
	}
	var r clientRun
	r.Start = time.Now()
	if tr != nil && tr.lines != nil {
		tr.lines.t0 = r.Start
	}
	if err := n.StartClient(c); err != nil {
		return r, err
	}
	buf := make([]byte, 256<<10)
	for {
		k, err := out.Read(buf)
		if k > 0 && r.Bytes == 0 {
			r.FirstByte = time.Since(r.Start)
		}
		r.Bytes += int64(k)
		if err != nil {
			break
		}
	}
	werr := c.Wait()
	r.Exit = time.Since(r.Start)
	r.Stderr = stderr.String()
	if c.ProcessState != nil {
		r.Code = c.ProcessState.ExitCode()
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	if ctx.Err() != nil {
		return r, fmt.Errorf("bench: %s client timed out after %v: %s", s.Impl.Name, limit, r.Stderr)
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		return r, werr
	}
	if r.Code != 0 {
		return r, fmt.Errorf("bench: %s client exited %d: %s", s.Impl.Name, r.Code, strings.TrimSpace(r.Stderr))
	}
	return r, nil
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
