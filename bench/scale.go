package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/auth"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/conn"
	"github.com/ssh3-project/ssh3/frame"
	"golang.org/x/sys/unix"
)

// ScaleResult is one implementation at one count of idle conversations.
type ScaleResult struct {
	Impl          string  `json:"impl"`
	Conns         int     `json:"conns"`
	Established   int     `json:"established"`
	HandshakesSec float64 `json:"handshakes_per_s"`
	RSSDeltaMB    float64 `json:"server_rss_delta_mb"`
	KBPerConv     float64 `json:"server_rss_kb_per_conversation"`
	PSSKBPerConv  float64 `json:"server_pss_kb_per_conversation"`
	// ClientPSSKBPerConv is the client processes' PSS per conversation
	// (OpenSSH: one ssh each); 0 for an in-process client.
	ClientPSSKBPerConv float64 `json:"client_pss_kb_per_conversation,omitempty"`
	Note               string  `json:"note,omitempty"`
}

// scaleWorkers is how many handshakes run at once.
const scaleWorkers = 16

// Scale opens N idle conversations on one fresh server per count: ours
// from an in-process client (conn.Dial through app/client, one QUIC
// connection each, no channel), OpenSSH's as `ssh -N` processes (a
// connection each, no session). Memory is the server's (with its
// children) VmRSS and PSS delta.
func Scale(ctx context.Context, h *Host, cfg Config, w io.Writer) error {
	n := Loopback()
	if lim, err := raiseNofile(4*slices.Max(cfg.Conns) + 4096); err != nil {
		fmt.Fprintf(cfg.Log, "scale: file descriptor limit stays %d: %v\n", lim, err)
	}
	var res []ScaleResult
	for _, impl := range cfg.Impls {
		var prev *ScaleResult // the last row measured with processes
		for _, count := range cfg.Conns {
			var r ScaleResult
			var err error
			switch {
			case impl.Skip != "":
				fmt.Fprintf(cfg.Log, "scale: skipping %s: %s\n", impl.Name, impl.Skip)
				r = ScaleResult{Impl: impl.Name, Conns: count, Note: "skipped: " + impl.Skip}
			case strings.HasPrefix(impl.Name, "ssh3/"):
				r, err = scaleSSH3(ctx, n, h, impl, count)
			case impl.IdleClient == "":
				r = ScaleResult{Impl: impl.Name, Conns: count, Note: "not measured: no idle-client template"}
			default:
				if why := processesFit(count, prev); why != "" {
					fmt.Fprintf(cfg.Log, "scale: %s at %d not run: %s\n", impl.Name, count, why)
					r = ScaleResult{Impl: impl.Name, Conns: count, Note: "not run: " + why}
					break
				}
				r, err = scaleProcesses(ctx, n, h, impl, count)
				prev = &r
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cfg.Log, "scale: %-16s %6d conversations: %d up, %.0f handshakes/s, %.1f KB RSS (%.1f KB PSS) each %s\n",
				r.Impl, r.Conns, r.Established, r.HandshakesSec, r.KBPerConv, r.PSSKBPerConv, r.Note)
			res = append(res, r)
		}
	}
	writeScaleMarkdown(w, res)
	if cfg.JSON != "" {
		return writeJSON(cfg.JSON, res)
	}
	return nil
}

// Defaults for processesFit before a row was measured: OpenSSH 9.2's
// server processes per conversation (the privileged monitor and the
// user's process) and their PSS, and the ssh client's PSS.
const (
	procsPerConv       = 3 // two sshd, one ssh
	defaultServerPSSKB = 2048
	defaultClientPSSKB = 1536
)

// processesFit says why count conversations with a client process each
// (OpenSSH) would not fit on this machine, or "" if they would: the
// processes must stay under 80% of kernel.pid_max with what already runs,
// their memory (PSS per conversation as measured at the previous count,
// else the defaults) under half of MemAvailable, so that a run cannot
// exhaust PIDs or memory for everything else on the machine, and the
// bench's descriptors under its limit.
func processesFit(count int, prev *ScaleResult) string {
	server, client := float64(defaultServerPSSKB), float64(defaultClientPSSKB)
	from := "estimated"
	if prev != nil && prev.Established > 0 && prev.PSSKBPerConv > 0 {
		server, client = prev.PSSKBPerConv, prev.ClientPSSKBPerConv
		from = fmt.Sprintf("as measured at %d", prev.Conns)
	}
	needKB := float64(count) * (server + client)
	var why []string
	if pidMax, tasks, err := pidUse(); err == nil && tasks+procsPerConv*count > pidMax*8/10 {
		why = append(why, fmt.Sprintf("%d processes (%d per conversation) with the %d tasks running exceed 80%% of kernel.pid_max %d", procsPerConv*count, procsPerConv, tasks, pidMax))
	}
	if avail, err := memAvailableKB(); err == nil && needKB > float64(avail)/2 {
		why = append(why, fmt.Sprintf("%.1f GiB (%.0f KB server + %.0f KB client PSS per conversation, %s) exceed half (%.1f GiB) of MemAvailable",
			needKB/(1<<20), server, client, from, float64(avail)/(1<<21)))
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && uint64(2*count+256) > lim.Cur {
		why = append(why, fmt.Sprintf("the bench's %d file descriptors (a pipe and a pidfd per client process) exceed its limit %d", 2*count+256, lim.Cur))
	}
	return strings.Join(why, "; ")
}

// pidUse is kernel.pid_max and the number of tasks (threads) now.
func pidUse() (pidMax, tasks int, err error) {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return 0, 0, err
	}
	if pidMax, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		return 0, 0, err
	}
	l, err := os.ReadFile("/proc/loadavg") // "0.1 0.2 0.3 running/total last"
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(l))
	if len(f) < 4 {
		return 0, 0, fmt.Errorf("bench: /proc/loadavg: %q", l)
	}
	_, total, _ := strings.Cut(f[3], "/")
	tasks, err = strconv.Atoi(total)
	return pidMax, tasks, err
}

// memAvailableKB is MemAvailable of /proc/meminfo.
func memAvailableKB() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("bench: no MemAvailable")
}

// raiseNofile raises this process's file descriptor limit (soft and, as
// root, hard) to at least want, capped by fs.nr_open: OpenSSH's rows hold
// a pipe and a pidfd per client process, ours a UDP socket per
// conversation. It returns the soft limit in force.
func raiseNofile(want int) (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	w := uint64(want)
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if nr, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			w = min(w, nr)
		}
	}
	if lim.Cur >= w {
		return lim.Cur, nil
	}
	next := unix.Rlimit{Cur: w, Max: max(lim.Max, w)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &next); err != nil {
		next = unix.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err2 := unix.Setrlimit(unix.RLIMIT_NOFILE, &next); err2 != nil {
			return lim.Cur, err
		}
		return lim.Max, err
	}
	return w, nil
}

type memSnap struct{ rss, pss int64 }

func serverMem(pid int) memSnap {
	rss, _ := treeRSS(pid)
	pss, _ := treePSS(pid)
	return memSnap{rss, pss}
}

func scaleResult(impl string, count, up int, el time.Duration, before, after memSnap) ScaleResult {
	r := ScaleResult{Impl: impl, Conns: count, Established: up, HandshakesSec: round2(float64(up) / el.Seconds()),
		RSSDeltaMB: round2(float64(after.rss-before.rss) / (1 << 20))}
	if up > 0 {
		r.KBPerConv = round2(float64(after.rss-before.rss) / 1024 / float64(up))
		r.PSSKBPerConv = round2(float64(after.pss-before.pss) / 1024 / float64(up))
	}
	return r
}

func scaleSSH3(ctx context.Context, n *Net, h *Host, impl *Impl, count int) (ScaleResult, error) {
	srv, err := startServer(ctx, n, h, impl, 0)
	if err != nil {
		return ScaleResult{}, err
	}
	defer srv.Stop()
	signer, err := auth.LoadKeyFile(h.Key, nil)
	if err != nil {
		return ScaleResult{}, err
	}
	profile := frame.Alpha
	if strings.HasSuffix(impl.Name, "rth3-00") {
		profile = frame.RTH300
	}
	ccfg := &client.Config{
		Target:      client.Target{Host: srv.Host, Port: srv.Port, Path: "/bench", User: h.User},
		Profile:     profile,
		Credentials: []auth.Credential{&auth.KeyCredential{Signer: signer}},
		Trust:       &hosttrust.Config{Insecure: true, KnownHosts: h.Dir + "/known_hosts"},
	}
	time.Sleep(200 * time.Millisecond) // let the server settle before the baseline
	before := serverMem(srv.Cmd.Process.Pid)
	convs := make([]*conn.Conversation, count)
	var next, up atomic.Int64
	var firstErr error
	var mu sync.Mutex // guards firstErr
	start := time.Now()
	var wg sync.WaitGroup
	for range scaleWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= count || ctx.Err() != nil {
					return
				}
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				c, _, err := client.Connect(dctx, ccfg, func(*conn.Conversation) (struct{}, error) { return struct{}{}, nil })
				cancel()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				convs[i] = c
				up.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	time.Sleep(time.Second) // let the server's allocations settle
	after := serverMem(srv.Cmd.Process.Pid)
	r := scaleResult(impl.Name, count, int(up.Load()), el, before, after)
	if firstErr != nil {
		r.Note = "first error: " + firstErr.Error()
	}
	for _, c := range convs {
		if c != nil {
			_ = c.Close()
		}
	}
	return r, ctx.Err()
}

// scaleProcesses keeps count idle client processes (IdleClient template,
// which prints a line once connected) against one server.
func scaleProcesses(ctx context.Context, n *Net, h *Host, impl *Impl, count int) (ScaleResult, error) {
	srv, err := startServer(ctx, n, h, impl, 0)
	if err != nil {
		return ScaleResult{}, err
	}
	defer srv.Stop()
	argv, err := expand(impl.IdleClient, srv.vars(h, srv.Host), nil)
	if err != nil {
		return ScaleResult{}, err
	}
	time.Sleep(200 * time.Millisecond)
	before := serverMem(srv.Cmd.Process.Pid)
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	ready := make(chan bool, count)
	start := time.Now()
	sem := make(chan struct{}, scaleWorkers)
	for i := 0; i < count && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		c := exec.Command(argv[0], argv[1:]...)
		c.Env = clientEnv(h)
		out, err := c.StdoutPipe()
		if err != nil {
			return ScaleResult{}, err
		}
		if err := n.StartClient(c); err != nil {
			return ScaleResult{}, err
		}
		procs = append(procs, c)
		go func() {
			b := make([]byte, 16)
			k, _ := out.Read(b)
			<-sem
			ready <- k > 0
			_, _ = io.Copy(io.Discard, out)
		}()
	}
	up := 0
	timeout := time.After(5*time.Minute + time.Duration(count)*500*time.Millisecond)
	for i := 0; i < len(procs); i++ {
		select {
		case ok := <-ready:
			if ok {
				up++
			}
		case <-timeout:
			i = len(procs)
		}
	}
	el := time.Since(start)
	time.Sleep(time.Second)
	after := serverMem(srv.Cmd.Process.Pid)
	r := scaleResult(impl.Name, count, up, el, before, after)
	var clientPSS int64
	for _, p := range procs {
		if p.Process != nil {
			k, _ := treePSS(p.Process.Pid)
			clientPSS += k
		}
	}
	if up > 0 {
		r.ClientPSSKBPerConv = round2(float64(clientPSS) / 1024 / float64(len(procs)))
	}
	if up < count {
		r.Note = fmt.Sprintf("%d of %d clients did not connect in time", count-up, count)
	}
	return r, ctx.Err()
}

// treePSS sums Pss of pid and its descendants (/proc/PID/smaps_rollup),
// which shares each shared page among the processes mapping it.
func treePSS(pid int) (int64, error) {
	total := int64(0)
	for _, p := range append([]int{pid}, descendants(pid)...) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				total += kb << 10
				break
			}
		}
	}
	return total, nil
}

// writeScaleMarkdown writes the scale table.
func writeScaleMarkdown(w io.Writer, res []ScaleResult) {
	fmt.Fprintln(w, "### Idle conversations on one server (loopback)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| impl | conversations | established | handshakes/s | server RSS delta MB | server RSS KB each | server PSS KB each | client PSS KB each | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range res {
		client := "in-process"
		if r.ClientPSSKBPerConv > 0 {
			client = fmt.Sprintf("%.1f", r.ClientPSSKBPerConv)
		}
		if r.Established == 0 {
			client = "–"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.1f | %.1f | %.1f | %s | %s |\n", r.Impl, r.Conns, r.Established, r.HandshakesSec, r.RSSDeltaMB, r.KBPerConv, r.PSSKBPerConv, client, r.Note)
	}
	fmt.Fprintln(w)
}
