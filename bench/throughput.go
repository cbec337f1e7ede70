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
	"sync/atomic"
	"syscall"
	"time"
)

// throughputResult is one implementation, direction and RTT.
type throughputResult struct {
	Impl      string  `json:"impl"`
	Direction string  `json:"direction"`
	RTTms     float64 `json:"rtt_ms"`
	Bytes     int64   `json:"bytes"`
	Runs      int     `json:"runs"`
	MBps      float64 `json:"mb_per_s"` // median, 10^6 bytes per second
	ClientCPU float64 `json:"client_cpu_s_per_gb"`
	ServerCPU float64 `json:"server_cpu_s_per_gb"`
	// BenchCPU is the bench process's own CPU per GB: the relay (and, for
	// forwarding, the bench's source and sink).
	BenchCPU float64 `json:"bench_cpu_s_per_gb"`
	LossPct  float64 `json:"loss_pct,omitempty"` // UDP: datagrams sent but not delivered
	// UDPSteps is every offered load (MB/s) → delivered MB/s (loss).
	UDPSteps  string `json:"udp_steps,omitempty"`
	CPUSource string `json:"server_cpu_source,omitempty"` // cgroup or proc
	Skipped   string `json:"skipped,omitempty"`
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

// ThroughputRTTs is the default RTT list of the throughput mode.
var ThroughputRTTs = []time.Duration{0, 50 * time.Millisecond}

// Throughput measures bulk transfer both ways, -L TCP and UDP forwarding,
// every implementation in the same run, at every RTT through the
// namespace relay (loopback at 0 ms when namespaces are unavailable or
// NoNetns), and reports MB/s and CPU per GB.
func Throughput(ctx context.Context, h *Host, cfg Config, w io.Writer) error {
	n := Loopback()
	if !cfg.NoNetns {
		n = openNet(cfg)
	} else {
		fmt.Fprintf(cfg.Log, "method: %s\n", n.Method)
	}
	defer n.Close()
	rtts := cfg.RTTs
	if n.Relay == nil {
		rtts = []time.Duration{0}
	}
	fmt.Fprintf(cfg.Log, "throughput: %d bytes each way, RTTs %v\n", cfg.Size, rtts)
	runs := min(cfg.N, 3)
	var res []throughputResult
	for i, impl := range cfg.Impls {
		if impl.Skip != "" {
			fmt.Fprintf(cfg.Log, "throughput: skipping %s: %s\n", impl.Name, impl.Skip)
			res = append(res, throughputResult{Impl: impl.Name, Skipped: impl.Skip})
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
		cpu := newServerCPU(srv.Cmd.Process.Pid)
		for _, rtt := range rtts {
			if err := n.SetRTT(rtt); err != nil {
				srv.Stop()
				cpu.close(cfg.Log)
				return err
			}
			for _, dir := range []string{Upload, Download} {
				r, err := throughputOne(ctx, n, h, srv, cpu, dir, cfg.Size, runs)
				if err != nil {
					srv.Stop()
					cpu.close(cfg.Log)
					return err
				}
				r.RTTms = ms(rtt)
				logThroughput(cfg.Log, r)
				res = append(res, r)
			}
			r := forwardOne(ctx, n, h, srv, cpu, cfg.Size)
			r.RTTms = ms(rtt)
			logThroughput(cfg.Log, r)
			u := forwardUDP(ctx, n, h, srv, cpu, cfg.Size, rtt, cfg.Log)
			u.RTTms = ms(rtt)
			logThroughput(cfg.Log, u)
			res = append(res, r, u)
		}
		srv.Stop()
		cpu.close(cfg.Log)
	}
	if d := dropped(n); d > 0 {
		fmt.Fprintf(cfg.Log, "throughput: the relay dropped %d packets (queue full)\n", d)
	}
	writeThroughputMarkdown(w, n.Method, res)
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, throughputReport{Method: n.Method, Results: res}); err != nil {
			return err
		}
	}
	if cfg.Plot != "" {
		return os.WriteFile(cfg.Plot, throughputPlot(n.Method, res), 0o644)
	}
	return nil
}

// throughputReport is the JSON document of a throughput run.
type throughputReport struct {
	Method  string             `json:"method"`
	Results []throughputResult `json:"results"`
}

func logThroughput(log io.Writer, r throughputResult) {
	if r.Skipped != "" {
		fmt.Fprintf(log, "throughput: %-16s rtt %3.0f ms %-36s skipped: %s\n", r.Impl, r.RTTms, r.Direction, r.Skipped)
		return
	}
	loss := ""
	if r.Direction == ForwardU {
		loss = fmt.Sprintf(", %.1f%% lost", r.LossPct)
	}
	fmt.Fprintf(log, "throughput: %-16s rtt %3.0f ms %-36s %7.1f MB/s%s, CPU s/GB client %.2f server %.2f bench %.2f\n",
		r.Impl, r.RTTms, r.Direction, r.MBps, loss, r.ClientCPU, r.ServerCPU, r.BenchCPU)
}

// selfCPU is the bench process's own user+system time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func throughputOne(ctx context.Context, n *Net, h *Host, srv *Server, cpu *serverCPU, dir string, size int64, runs int) (throughputResult, error) {
	cmd := []string{"cat", ">/dev/null"}
	if dir == Download {
		cmd = []string{"head", "-c", strconv.FormatInt(size, 10), "/dev/zero"}
	}
	var rates []time.Duration // time per run; median rate from median time
	var ccpu, scpu, bcpu time.Duration
	// The client reads a sparse file and writes to /dev/null, as it would
	// with files: a pipe to the bench would add the bench's wake-ups to
	// the client's CPU time.
	src, err := sparseFile(h.Dir, size)
	if err != nil {
		return throughputResult{}, err
	}
	defer src.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return throughputResult{}, err
	}
	defer null.Close()
	for k := 0; k < runs; k++ {
		var stdin io.Reader
		if dir == Upload {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return throughputResult{}, err
			}
			stdin = src
		}
		before, err := cpu.now()
		if err != nil {
			return throughputResult{}, err
		}
		b0 := selfCPU()
		r, err := runClient(ctx, n, h, srv, cmd, stdin, null, 10*time.Minute)
		if err != nil {
			return throughputResult{}, err
		}
		bcpu += selfCPU() - b0
		waitNoChildren(srv.Cmd.Process.Pid, 5*time.Second)
		after, _ := cpu.now()
		rates = append(rates, r.Exit)
		ccpu += r.CPU
		scpu += after - before
	}
	med := summarize(rates).Median
	gb := float64(size) * float64(runs) / 1e9
	return throughputResult{Impl: srv.Impl.Name, Direction: dir, Bytes: size, Runs: runs, CPUSource: cpu.source(),
		MBps:      round2(float64(size) / 1e6 / med.Seconds()),
		ClientCPU: round2(ccpu.Seconds() / gb), ServerCPU: round2(scpu.Seconds() / gb), BenchCPU: round2(bcpu.Seconds() / gb)}, nil
}

// fwdClient starts a forwarding client (template tmpl with {lport},
// {target}, {tport}) in the client's namespace. stop kills it and waits.
type fwdClient struct {
	cmd    *exec.Cmd
	exited chan struct{}
	stderr strings.Builder
}

func startFwdClient(ctx context.Context, n *Net, h *Host, srv *Server, tmpl string, lport int, target string) (*fwdClient, error) {
	vars := srv.vars(h, srv.Host)
	vars["{lport}"] = strconv.Itoa(lport)
	vars["{target}"] = target
	_, tport, _ := net.SplitHostPort(target)
	vars["{tport}"] = tport
	argv, err := expand(tmpl, vars, nil)
	if err != nil {
		return nil, err
	}
	f := &fwdClient{exited: make(chan struct{})}
	f.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	f.cmd.Env = append(clientEnv(h), srv.Impl.Env...)
	f.cmd.Stderr = &limitedWriter{w: &f.stderr, n: 2048}
	if err := n.StartClient(f.cmd); err != nil {
		return nil, err
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	return f, nil
}

func (f *fwdClient) stop() { _ = f.cmd.Process.Kill(); <-f.exited }

func (f *fwdClient) gone(what string) string {
	select {
	case <-f.exited:
		return fmt.Sprintf("the client exited (%v) without %s: %s", f.cmd.ProcessState, what, strings.TrimSpace(f.stderr.String()))
	default:
	}
	return fmt.Sprintf("the client did not %s within 5 s: %s", what, strings.TrimSpace(f.stderr.String()))
}

// forwardOne measures -L: the client, in the client's namespace, forwards
// a local port to a sink the bench runs in the server's namespace (so
// every byte crosses the relay once); skipped when the client does not
// open the port.
func forwardOne(ctx context.Context, n *Net, h *Host, srv *Server, cpu *serverCPU, size int64) throughputResult {
	res := throughputResult{Impl: srv.Impl.Name, Direction: ForwardL, Bytes: size, Runs: 1, CPUSource: cpu.source()}
	skip := func(why string) throughputResult {
		res.Skipped = why
		return res
	}
	if srv.Impl.FwdClient == "" {
		return skip("no forwarding template for this implementation")
	}
	var sink net.Listener
	if err := n.In(ServerSide, func() (err error) { sink, err = net.Listen("tcp", "127.0.0.1:0"); return err }); err != nil {
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
	lport, err := n.FreePort(ClientSide, "tcp")
	if err != nil {
		return skip(err.Error())
	}
	f, err := startFwdClient(ctx, n, h, srv, srv.Impl.FwdClient, lport, sink.Addr().String())
	if err != nil {
		return skip(err.Error())
	}
	defer f.stop()
	conn := dialRetry(n, fmt.Sprintf("127.0.0.1:%d", lport), 5*time.Second, f.exited)
	if conn == nil {
		return skip(f.gone("opening its -L port"))
	}
	c0, _ := procCPU(f.cmd.Process.Pid)
	s0, _ := cpu.now()
	b0 := selfCPU()
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
	c1, _ := procCPU(f.cmd.Process.Pid)
	s1, _ := cpu.now()
	b1 := selfCPU()
	if werr != nil || k != size {
		return skip(fmt.Sprintf("forwarded %d of %d bytes (%v)", k, size, werr))
	}
	gb := float64(size) / 1e9
	res.MBps = round2(float64(size) / 1e6 / el.Seconds())
	res.ClientCPU, res.ServerCPU, res.BenchCPU = round2((c1-c0).Seconds()/gb), round2((s1-s0).Seconds()/gb), round2((b1-b0).Seconds()/gb)
	return res
}

// udpPayload is the size of the datagrams of the UDP forwarding test: one
// fits a QUIC datagram even before path MTU discovery (1,252-byte UDP
// payloads).
const udpPayload = 1024

// udpRates are the offered loads (MB/s) of the UDP forwarding test, one
// step each, lowest first.
var udpRates = []float64{2.5, 5, 10, 15, 20, 25, 30, 40, 60, 80, 120, 160}

// udpLossOK is the loss (%) up to which a step's delivered rate counts as
// sustained: a few datagrams are lost now and then even at low loads (the
// congestion window at a step's start), so 0 would measure chance.
const udpLossOK = 5

// udpStep is how long each offered load is kept up.
const udpStep = time.Second

// forwardUDP measures UDP forwarding. UDP has no flow control, so "as fast
// as possible" only measures where drops happen; instead the bench offers
// paced loads in steps (udpRates, udpStep each, until more than 10% is
// lost or size bytes were offered) to the client's forwarded port in the
// client's namespace, and a sink in the server's namespace counts what
// arrives. MB/s is the best delivered rate of a step that lost at most
// udpLossOK (else the lowest step's, with its loss); CPU is over every step.
func forwardUDP(ctx context.Context, n *Net, h *Host, srv *Server, cpu *serverCPU, size int64, rtt time.Duration, log io.Writer) throughputResult {
	res := throughputResult{Impl: srv.Impl.Name, Direction: ForwardU, Runs: 1, CPUSource: cpu.source()}
	skip := func(why string) throughputResult {
		res.Skipped = why
		return res
	}
	if srv.Impl.UDPClient == "" {
		if srv.Impl.NoUDP != "" {
			return skip(srv.Impl.NoUDP)
		}
		return skip("no UDP forwarding template for this implementation")
	}
	var sink net.PacketConn
	if err := n.In(ServerSide, func() (err error) { sink, err = net.ListenPacket("udp", "127.0.0.1:0"); return err }); err != nil {
		return skip(err.Error())
	}
	defer sink.Close()
	_ = sink.(*net.UDPConn).SetReadBuffer(8 << 20)
	var got, gotBytes atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			k, _, err := sink.ReadFrom(buf)
			if err != nil {
				return
			}
			got.Add(1)
			if k == udpPayload {
				gotBytes.Add(int64(k))
			}
		}
	}()
	lport, err := n.FreePort(ClientSide, "udp")
	if err != nil {
		return skip(err.Error())
	}
	f, err := startFwdClient(ctx, n, h, srv, srv.Impl.UDPClient, lport, sink.LocalAddr().String())
	if err != nil {
		return skip(err.Error())
	}
	defer f.stop()
	var src *net.UDPConn
	if err := n.In(ClientSide, func() (err error) {
		src, err = net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: lport})
		return err
	}); err != nil {
		return skip(err.Error())
	}
	defer src.Close()
	// Probe (small datagrams) until the forward carries one.
	deadline := time.Now().Add(5*time.Second + 10*rtt)
	for got.Load() == 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return skip(f.gone("forwarding a probe datagram"))
		}
		_, _ = src.Write([]byte("probe"))
		select {
		case <-f.exited:
			return skip(f.gone("forwarding a probe datagram"))
		case <-time.After(50 * time.Millisecond):
		}
	}
	time.Sleep(rtt + 100*time.Millisecond) // late probes
	c0, _ := procCPU(f.cmd.Process.Pid)
	s0, _ := cpu.now()
	b0 := selfCPU()
	pkt := make([]byte, udpPayload)
	quiet := max(300*time.Millisecond, 2*rtt)
	var offered, delivered int64
	best, bestLoss, first, firstLoss := 0.0, 0.0, 0.0, 0.0
	var steps []string
	for i, rate := range udpRates {
		if ctx.Err() != nil || offered >= size {
			break
		}
		g0 := gotBytes.Load()
		perTick := int64(rate * 1e6 / 1000) // bytes per millisecond
		start := time.Now()
		sent := int64(0)
		for tick := 1; time.Since(start) < udpStep; tick++ {
			for sent < int64(tick)*perTick {
				if _, err := src.Write(pkt); err != nil {
					break
				}
				sent += udpPayload
			}
			if d := time.Until(start.Add(time.Duration(tick) * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
		}
		el := time.Since(start)
		time.Sleep(quiet) // what is still in flight
		recv := gotBytes.Load() - g0
		offered += sent
		delivered += recv
		mbps := float64(recv) / 1e6 / el.Seconds()
		loss := 100 * (1 - float64(recv)/float64(sent))
		steps = append(steps, fmt.Sprintf("%g→%.1f (%.1f%% lost)", rate, mbps, loss))
		if i == 0 {
			first, firstLoss = mbps, loss
		}
		if loss <= udpLossOK && mbps > best {
			best, bestLoss = mbps, loss
		}
		if loss > 10 {
			break
		}
	}
	c1, _ := procCPU(f.cmd.Process.Pid)
	s1, _ := cpu.now()
	b1 := selfCPU()
	fmt.Fprintf(log, "throughput: %s rtt %v UDP steps, offered→delivered MB/s: %s\n", srv.Impl.Name, rtt, strings.Join(steps, ", "))
	if delivered == 0 {
		return skip(fmt.Sprintf("none of %d datagrams arrived", offered/udpPayload))
	}
	if best == 0 {
		best, bestLoss = first, firstLoss
	}
	gb := float64(delivered) / 1e9
	res.Bytes = delivered
	res.MBps, res.LossPct = round2(best), round2(bestLoss)
	res.UDPSteps = strings.Join(steps, ", ")
	res.ClientCPU, res.ServerCPU, res.BenchCPU = round2((c1-c0).Seconds()/gb), round2((s1-s0).Seconds()/gb), round2((b1-b0).Seconds()/gb)
	return res
}

// dialRetry connects to addr in the client's namespace until it works,
// limit passes or gone closes.
func dialRetry(n *Net, addr string, limit time.Duration, gone <-chan struct{}) net.Conn {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var c net.Conn
		if err := n.In(ClientSide, func() (err error) { c, err = net.DialTimeout("tcp", addr, time.Second); return err }); err == nil {
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

// writeThroughputMarkdown writes the throughput table.
func writeThroughputMarkdown(w io.Writer, method string, res []throughputResult) {
	fmt.Fprintln(w, "### Throughput (CPU is user+system of the client process and of the server with everything it started, per GB moved; bench = the relay and the bench's own source and sink)")
	fmt.Fprintf(w, "\nMethod: %s\n\n", method)
	fmt.Fprintln(w, "| impl | RTT ms | direction | MB/s (median) | client CPU s/GB | server CPU s/GB | total CPU s/GB | bench CPU s/GB | server CPU from |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range res {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | %g | %s | skipped: %s ||||||\n", r.Impl, r.RTTms, r.Direction, r.Skipped)
			continue
		}
		mbps := fmt.Sprintf("%.1f", r.MBps)
		if r.Direction == ForwardU {
			mbps += fmt.Sprintf(" (%.1f%% lost)", r.LossPct)
		}
		fmt.Fprintf(w, "| %s | %g | %s | %s | %.2f | %.2f | %.2f | %.2f | %s |\n", r.Impl, r.RTTms, r.Direction, mbps, r.ClientCPU, r.ServerCPU, round2(r.ClientCPU+r.ServerCPU), r.BenchCPU, r.CPUSource)
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
