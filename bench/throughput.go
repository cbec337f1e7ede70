package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ThroughputResult is one implementation and direction.
type ThroughputResult struct {
	Impl      string  `json:"impl"`
	Direction string  `json:"direction"`
	Bytes     int64   `json:"bytes"`
	Runs      int     `json:"runs"`
	MBps      float64 `json:"mb_per_s"` // median, 10^6 bytes per second
	ClientCPU float64 `json:"client_cpu_s_per_gb"`
	ServerCPU float64 `json:"server_cpu_s_per_gb"`
	CPUSource string  `json:"server_cpu_source,omitempty"` // cgroup or proc
	Skipped   string  `json:"skipped,omitempty"`
}

// Directions of the throughput test.
const (
	Upload   = "stdin → remote cat >/dev/null"
	Download = "remote head -c N /dev/zero → stdout"
	ForwardL = "-L TCP forwarding"
	ForwardU = "UDP forwarding"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Throughput measures bulk transfer both ways on loopback, every
// implementation in the same run, and reports MB/s and CPU per GB.
func Throughput(ctx context.Context, h *Host, cfg Config, w io.Writer) error {
	n := Loopback()
	fmt.Fprintf(cfg.Log, "throughput: on loopback, %d bytes each way\n", cfg.Size)
	runs := min(cfg.N, 3)
	var res []ThroughputResult
	for _, impl := range cfg.Impls {
		if impl.Skip != "" {
			fmt.Fprintf(cfg.Log, "throughput: skipping %s: %s\n", impl.Name, impl.Skip)
			res = append(res, ThroughputResult{Impl: impl.Name, Skipped: impl.Skip})
			continue
		}
		srv, err := StartServer(ctx, n, h, impl, 0)
		if err != nil {
			return err
		}
		cpu := newServerCPU(srv.Cmd.Process.Pid)
		for _, dir := range []string{Upload, Download} {
			r, err := throughputOne(ctx, n, h, srv, cpu, dir, cfg.Size, runs)
			if err != nil {
				srv.Stop()
				cpu.close(cfg.Log)
				return err
			}
			fmt.Fprintf(cfg.Log, "throughput: %-16s %-36s %7.1f MB/s, CPU s/GB client %.2f server %.2f\n", r.Impl, dir, r.MBps, r.ClientCPU, r.ServerCPU)
			res = append(res, r)
		}
		r := forwardOne(ctx, n, h, srv, cpu, cfg.Size, cfg.Log)
		res = append(res, r, ThroughputResult{Impl: impl.Name, Direction: ForwardU,
			Skipped: "not measured: no client flag common to the implementations yet"})
		srv.Stop()
		cpu.close(cfg.Log)
	}
	WriteThroughputMarkdown(w, res)
	return nil
}

func throughputOne(ctx context.Context, n *Net, h *Host, srv *Server, cpu *serverCPU, dir string, size int64, runs int) (ThroughputResult, error) {
	cmd := []string{"cat", ">/dev/null"}
	if dir == Download {
		cmd = []string{"head", "-c", strconv.FormatInt(size, 10), "/dev/zero"}
	}
	var rates []time.Duration // time per run; median rate from median time
	var ccpu, scpu time.Duration
	// The client reads a sparse file and writes to /dev/null, as it would
	// with files: a pipe to the bench would add the bench's wake-ups to
	// the client's CPU time.
	src, err := sparseFile(h.Dir, size)
	if err != nil {
		return ThroughputResult{}, err
	}
	defer src.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return ThroughputResult{}, err
	}
	defer null.Close()
	for k := 0; k < runs; k++ {
		var stdin io.Reader
		if dir == Upload {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return ThroughputResult{}, err
			}
			stdin = src
		}
		before, err := cpu.now()
		if err != nil {
			return ThroughputResult{}, err
		}
		r, err := runClient(ctx, n, h, srv, cmd, stdin, null, 10*time.Minute)
		if err != nil {
			return ThroughputResult{}, err
		}
		waitNoChildren(srv.Cmd.Process.Pid, 5*time.Second)
		after, _ := cpu.now()
		rates = append(rates, r.Exit)
		ccpu += r.CPU
		scpu += after - before
	}
	med := Summarize(rates).Median
	gb := float64(size) * float64(runs) / 1e9
	return ThroughputResult{Impl: srv.Impl.Name, Direction: dir, Bytes: size, Runs: runs, CPUSource: cpu.source(),
		MBps:      round2(float64(size) / 1e6 / med.Seconds()),
		ClientCPU: round2(ccpu.Seconds() / gb), ServerCPU: round2(scpu.Seconds() / gb)}, nil
}

// forwardOne measures -L: the client forwards a local port to a sink the
// bench runs; skipped when the client does not open the port.
func forwardOne(ctx context.Context, n *Net, h *Host, srv *Server, cpu *serverCPU, size int64, log io.Writer) ThroughputResult {
	res := ThroughputResult{Impl: srv.Impl.Name, Direction: ForwardL, Bytes: size, Runs: 1, CPUSource: cpu.source()}
	skip := func(why string) ThroughputResult {
		fmt.Fprintf(log, "throughput: %s -L skipped: %s\n", srv.Impl.Name, why)
		res.Skipped = why
		return res
	}
	if srv.Impl.FwdClient == "" {
		return skip("no forwarding template for this implementation")
	}
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return skip(err.Error())
	}
	defer sink.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		k, _ := io.Copy(io.Discard, c)
		got <- k
	}()
	lport, err := freePort("tcp")
	if err != nil {
		return skip(err.Error())
	}
	vars := srv.vars(h, srv.Host)
	vars["{lport}"] = strconv.Itoa(lport)
	vars["{target}"] = sink.Addr().String()
	vars["{tport}"] = strconv.Itoa(sink.Addr().(*net.TCPAddr).Port)
	argv, err := Expand(srv.Impl.FwdClient, vars, nil)
	if err != nil {
		return skip(err.Error())
	}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = clientEnv(h)
	var stderr strings.Builder
	c.Stderr = &limitedWriter{w: &stderr, n: 2048}
	if err := n.StartClient(c); err != nil {
		return skip(err.Error())
	}
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	defer func() { _ = c.Process.Kill(); <-exited }()
	conn := dialRetry(fmt.Sprintf("127.0.0.1:%d", lport), 5*time.Second, exited)
	if conn == nil {
		select {
		case <-exited:
			return skip(fmt.Sprintf("the client exited (%v) without opening its -L port: %s", c.ProcessState, strings.TrimSpace(stderr.String())))
		default:
		}
		return skip("the client did not open its -L port within 5 s: " + strings.TrimSpace(stderr.String()))
	}
	c0, _ := procCPU(c.Process.Pid)
	s0, _ := cpu.now()
	start := time.Now()
	_, werr := io.Copy(conn, io.LimitReader(zeros{}, size))
	_ = conn.(*net.TCPConn).CloseWrite()
	var k int64
	select {
	case k = <-got:
	case <-time.After(5 * time.Minute):
	}
	el := time.Since(start)
	_ = conn.Close()
	c1, _ := procCPU(c.Process.Pid)
	s1, _ := cpu.now()
	if werr != nil || k != size {
		return skip(fmt.Sprintf("forwarded %d of %d bytes (%v)", k, size, werr))
	}
	gb := float64(size) / 1e9
	res.MBps = round2(float64(size) / 1e6 / el.Seconds())
	res.ClientCPU, res.ServerCPU = round2((c1-c0).Seconds()/gb), round2((s1-s0).Seconds()/gb)
	fmt.Fprintf(log, "throughput: %-16s %-36s %7.1f MB/s, CPU s/GB client %.2f server %.2f\n", res.Impl, ForwardL, res.MBps, res.ClientCPU, res.ServerCPU)
	return res
}

// dialRetry connects to addr until it works, limit passes or gone closes.
func dialRetry(addr string, limit time.Duration, gone <-chan struct{}) net.Conn {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return c
		}
		select {
		case <-gone:
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// WriteThroughputMarkdown writes the throughput table.
func WriteThroughputMarkdown(w io.Writer, res []ThroughputResult) {
	fmt.Fprintln(w, "### Throughput (loopback; CPU is user+system of the client process (rusage) and of the server with everything it started, per GB moved)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| impl | direction | MB/s (median) | client CPU s/GB | server CPU s/GB | total CPU s/GB | server CPU from |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range res {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | %s | skipped: %s |||||\n", r.Impl, r.Direction, r.Skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %.2f | %.2f | %.2f | %s |\n", r.Impl, r.Direction, r.MBps, r.ClientCPU, r.ServerCPU, round2(r.ClientCPU+r.ServerCPU), r.CPUSource)
	}
	fmt.Fprintln(w)
}

// sparseFile is a temp file of size zero bytes that takes no disk space.
func sparseFile(dir string, size int64) (*os.File, error) {
	f, err := os.CreateTemp(dir, "zeros-")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
