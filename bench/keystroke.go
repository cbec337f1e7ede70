package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// keystrokeResult is one implementation at one RTT.
type keystrokeResult struct {
	Impl     string  `json:"impl"`
	RTTms    float64 `json:"rtt_ms"`
	Keys     int     `json:"keys"`
	MedianMs float64 `json:"median_ms"`
	MinMs    float64 `json:"min_ms"`
	MaxMs    float64 `json:"max_ms"`
	RTTs     float64 `json:"rtts"`
	Skipped  string  `json:"skipped,omitempty"`
}

// Keystroke types characters into an interactive pty session and times
// each one's echo (made by the remote pty's line discipline), per RTT.
func Keystroke(ctx context.Context, h *Host, cfg Config, w io.Writer) error {
	n := openNet(cfg)
	defer n.Close()
	rtts := cfg.RTTs
	if n.Relay == nil {
		rtts = []time.Duration{0}
	}
	var res []keystrokeResult
	for i, impl := range cfg.Impls {
		if impl.Skip != "" {
			fmt.Fprintf(cfg.Log, "keystroke: skipping %s: %s\n", impl.Name, impl.Skip)
			res = append(res, keystrokeResult{Impl: impl.Name, Skipped: impl.Skip})
			continue
		}
		port := 0
		if n.Relay != nil {
			port = basePort + i
		}
		_ = n.SetRTT(0)
		srv, err := startServer(ctx, n, h, impl, port)
		if err != nil {
			return err
		}
		for _, rtt := range rtts {
			_ = n.SetRTT(rtt)
			lat, err := typeKeys(ctx, n, h, srv, cfg.Keys, 30*time.Second+20*rtt)
			if err != nil && impl.PtyNeedsRoot && os.Geteuid() != 0 && ctx.Err() == nil {
				why := fmt.Sprintf("its server, not run as root here, gave no pty session (%v)", err)
				fmt.Fprintf(cfg.Log, "keystroke: skipping %s: %s\n", impl.Name, why)
				res = append(res, keystrokeResult{Impl: impl.Name, RTTms: ms(rtt), Skipped: why})
				break
			}
			if err != nil {
				srv.Stop()
				return err
			}
			s := summarize(lat)
			r := keystrokeResult{Impl: impl.Name, RTTms: ms(rtt), Keys: len(lat), MedianMs: ms(s.Median), MinMs: ms(s.Min),
				MaxMs: ms(s.Max), RTTs: inRTTs(s.Median, rtt)}
			fmt.Fprintf(cfg.Log, "keystroke: %-16s rtt %4.0f ms: echo median %6.1f ms (%.2f RTT)\n", r.Impl, r.RTTms, r.MedianMs, r.RTTs)
			res = append(res, r)
		}
		srv.Stop()
	}
	writeKeystrokeMarkdown(w, n.Method, res)
	return nil
}

// screen collects what the client's pty shows.
type screen struct {
	mu   sync.Mutex // guards b
	b    bytes.Buffer
	more chan struct{} // signalled (without blocking) on every read
}

func (s *screen) fill(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		k, err := r.Read(buf)
		s.mu.Lock()
		s.b.Write(buf[:k])
		s.mu.Unlock()
		select {
		case s.more <- struct{}{}:
		default:
		}
		if err != nil {
			close(s.more)
			return
		}
	}
}

// waitFor waits until sub appears at or after offset from; it returns the
// offset just after it.
func (s *screen) waitFor(ctx context.Context, from int, sub []byte, limit time.Duration) (int, error) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		i := bytes.Index(s.b.Bytes()[from:], sub)
		size := s.b.Len()
		s.mu.Unlock()
		if i >= 0 {
			return from + i + len(sub), nil
		}
		select {
		case _, ok := <-s.more:
			if !ok {
				s.mu.Lock()
				defer s.mu.Unlock()
				return size, fmt.Errorf("bench: the session ended waiting for %q; screen: %q", sub, tail(s.b.Bytes(), 300))
			}
		case <-deadline.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return size, fmt.Errorf("bench: no %q after %v; screen: %q", sub, limit, tail(s.b.Bytes(), 300))
		case <-ctx.Done():
			return size, ctx.Err()
		}
	}
}

func (s *screen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

func typeKeys(ctx context.Context, n *Net, h *Host, srv *Server, keys int, limit time.Duration) ([]time.Duration, error) {
	argv, err := srv.TTYCommand(h)
	if err != nil {
		return nil, err
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, err
	}
	defer ptmx.Close()
	_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = append(clientEnv(h), "TERM=xterm", "PS1=$ ")
	c.Stdin, c.Stdout, c.Stderr = tty, tty, tty
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	err = n.StartClient(c)
	tty.Close()
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}()
	scr := &screen{more: make(chan struct{}, 1)}
	go scr.fill(ptmx)
	if _, err := io.WriteString(ptmx, "echo RE''ADY\r"); err != nil {
		return nil, err
	}
	off, err := scr.waitFor(ctx, 0, []byte("READY"), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", srv.Impl.Name, err)
	}
	time.Sleep(100 * time.Millisecond) // let the prompt arrive
	var lat []time.Duration
	for k := 0; k < keys; k++ {
		off = scr.len()
		t := time.Now()
		if _, err := ptmx.Write([]byte{'x'}); err != nil {
			return nil, err
		}
		if off, err = scr.waitFor(ctx, off, []byte{'x'}, limit); err != nil {
			return nil, fmt.Errorf("%s: %w", srv.Impl.Name, err)
		}
		lat = append(lat, time.Since(t))
	}
	_, _ = io.WriteString(ptmx, "\x15exit\r")
	select {
	case <-done:
	case <-time.After(limit):
		return lat, errors.New("bench: the session did not end after exit")
	}
	return lat, nil
}

// writeKeystrokeMarkdown writes the keystroke table.
func writeKeystrokeMarkdown(w io.Writer, method string, res []keystrokeResult) {
	fmt.Fprintf(w, "### Keystroke latency (pty session, typed character to its echo)\n\nMethod: %s\n\n", method)
	fmt.Fprintln(w, "| impl | RTT ms | keys | median ms | min | max | median in RTTs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range res {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | – | – | skipped: %s ||||\n", r.Impl, r.Skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %g | %d | %.1f | %.1f | %.1f | %s |\n", r.Impl, r.RTTms, r.Keys, r.MedianMs, r.MinMs, r.MaxMs, rttCell(r.RTTs, r.RTTms))
	}
	fmt.Fprintln(w)
}
