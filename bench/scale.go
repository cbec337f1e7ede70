package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	Note          string  `json:"note,omitempty"`
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
	var res []ScaleResult
	for _, impl := range cfg.Impls {
		for _, count := range cfg.Conns {
			var r ScaleResult
			var err error
			switch {
			case impl.Skip != "":
				fmt.Fprintf(cfg.Log, "scale: skipping %s: %s\n", impl.Name, impl.Skip)
				r = ScaleResult{Impl: impl.Name, Conns: count, Note: "skipped: " + impl.Skip}
			case strings.HasPrefix(impl.Name, "ssh3/"):
				r, err = scaleSSH3(ctx, n, h, impl, count)
			case impl.IdleClient != "" && count <= MaxOpenSSHScale:
				r, err = scaleProcesses(ctx, n, h, impl, count)
			default:
				r = ScaleResult{Impl: impl.Name, Conns: count, Note: "not measured at this count (one client process each)"}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cfg.Log, "scale: %-16s %6d conversations: %d up, %.0f handshakes/s, %.1f KB RSS (%.1f KB PSS) each %s\n",
				r.Impl, r.Conns, r.Established, r.HandshakesSec, r.KBPerConv, r.PSSKBPerConv, r.Note)
			res = append(res, r)
		}
	}
	WriteScaleMarkdown(w, res)
	return nil
}

// MaxOpenSSHScale caps OpenSSH's count: each conversation is a client
// process and two server processes here.
const MaxOpenSSHScale = 1000

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
	srv, err := StartServer(ctx, n, h, impl, 0)
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
	srv, err := StartServer(ctx, n, h, impl, 0)
	if err != nil {
		return ScaleResult{}, err
	}
	defer srv.Stop()
	argv, err := Expand(impl.IdleClient, srv.vars(h, srv.Host), nil)
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
	timeout := time.After(5 * time.Minute)
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
	return scaleResult(impl.Name, count, up, el, before, after), ctx.Err()
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

// WriteScaleMarkdown writes the scale table.
func WriteScaleMarkdown(w io.Writer, res []ScaleResult) {
	fmt.Fprintln(w, "### Idle conversations on one server (loopback)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| impl | conversations | established | handshakes/s | server RSS delta MB | RSS KB each | PSS KB each | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.1f | %.1f | %.1f | %s |\n", r.Impl, r.Conns, r.Established, r.HandshakesSec, r.RSSDeltaMB, r.KBPerConv, r.PSSKBPerConv, r.Note)
	}
	fmt.Fprintln(w)
}
