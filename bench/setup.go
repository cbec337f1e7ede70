package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// setupResult is one row of the setup measurement; the first six fields
// are the shape runs are compared by.
type setupResult struct {
	Impl     string  `json:"impl"`
	RTTms    float64 `json:"rtt_ms"`
	N        int     `json:"n"`
	MedianMs float64 `json:"median_ms"`
	MinMs    float64 `json:"min_ms"`
	MaxMs    float64 `json:"max_ms"`
	RTTs     float64 `json:"rtts"`

	FirstByteMedianMs float64 `json:"first_byte_median_ms"`
	FirstByteMinMs    float64 `json:"first_byte_min_ms"`
	FirstByteMaxMs    float64 `json:"first_byte_max_ms"`
	FirstByteRTTs     float64 `json:"first_byte_rtts"`
	// AddedRTTs is (median − the same implementation's median at RTT 0)
	// / RTT: the round trips the network adds, without the CPU time that
	// the 0 ms row measures. Zero when there is no 0 ms row.
	AddedRTTs float64 `json:"added_rtts,omitempty"`
	Failed    int     `json:"failed,omitempty"`
	Skipped   string  `json:"skipped,omitempty"`
	// Phases are the traced run's milestones (see Breakdown), and
	// Flights how many flights the relay saw in it.
	Phases  []phaseJSON `json:"phases,omitempty"`
	Flights int         `json:"flights,omitempty"`
}

// phaseJSON is a Milestone in the JSON report.
type phaseJSON struct {
	Phase string  `json:"phase"`
	Event string  `json:"event"`
	Ms    float64 `json:"ms"`
	RTTs  float64 `json:"rtts,omitempty"`
}

// Report is the JSON document of a setup run.
type Report struct {
	Method  string        `json:"method"`
	Results []setupResult `json:"results"`
}

// setupConfig says what to measure.
type setupConfig struct {
	RTTs  []time.Duration
	N     int
	Impls []*Impl
	Log   io.Writer // progress and skips
	// Limit is how long one client run may take.
	Limit time.Duration
}

// basePort is the first port servers get inside the bench's namespaces,
// where every port is free.
const basePort = 40022

// runSetup measures wall time from the client's start to the first byte of
// a remote `echo` and to its exit, a fresh connection each run, for every
// implementation at every RTT. It returns the rows and one flight
// breakdown per implementation and RTT (of the last run).
func runSetup(ctx context.Context, n *Net, h *Host, cfg setupConfig) (Report, []Breakdown, error) {
	rep := Report{Method: n.Method}
	var bds []Breakdown
	for i, impl := range cfg.Impls {
		if impl.Skip != "" {
			fmt.Fprintf(cfg.Log, "setup: skipping %s: %s\n", impl.Name, impl.Skip)
			for _, rtt := range cfg.RTTs {
				rep.Results = append(rep.Results, setupResult{Impl: impl.Name, RTTms: ms(rtt), Skipped: impl.Skip})
			}
			continue
		}
		port := 0
		if n.Relay != nil {
			port = basePort + i
		}
		_ = n.SetRTT(0)
		srv, err := startServer(ctx, n, h, impl, port)
		if err != nil {
			return rep, nil, err
		}
		var base *setupResult
		for _, rtt := range cfg.RTTs {
			res, bd, err := setupOne(ctx, n, h, srv, rtt, cfg)
			if err != nil {
				srv.Stop()
				return rep, nil, err
			}
			if rtt == 0 && res.N > 0 {
				base = &res
			} else if base != nil && res.N > 0 {
				res.AddedRTTs = round2((res.MedianMs - base.MedianMs) / res.RTTms)
			}
			if bd != nil {
				bds = append(bds, *bd)
				res.Flights = len(bd.Flights)
				for _, m := range bd.Milestones {
					res.Phases = append(res.Phases, phaseJSON{Phase: m.Phase, Event: m.What, Ms: ms(m.At), RTTs: inRTTs(m.At, rtt)})
				}
			}
			rep.Results = append(rep.Results, res)
			fmt.Fprintf(cfg.Log, "setup: %-16s rtt %4.0f ms: exit median %7.1f ms (%5.2f RTT), first byte %7.1f ms (%5.2f RTT)\n",
				res.Impl, res.RTTms, res.MedianMs, res.RTTs, res.FirstByteMedianMs, res.FirstByteRTTs)
		}
		srv.Stop()
	}
	return rep, bds, nil
}

func setupOne(ctx context.Context, n *Net, h *Host, srv *Server, rtt time.Duration, cfg setupConfig) (setupResult, *Breakdown, error) {
	if err := n.SetRTT(rtt); err != nil {
		return setupResult{}, nil, err
	}
	limit := cfg.Limit
	if limit == 0 {
		limit = 30*time.Second + 40*rtt
	}
	cmd := []string{"echo", "ssh3-bench"}
	const echoOut = "ssh3-bench\n"
	// One unmeasured run warms caches (binaries, known_hosts, the server).
	if r, err := RunClient(ctx, n, h, srv, cmd, nil, limit); err != nil || r.Bytes != int64(len(echoOut)) {
		return setupResult{}, nil, fmt.Errorf("bench: %s: warm-up run: %d bytes out, err %v\nserver log:\n%s", srv.Impl.Name, r.Bytes, err, srv.Logs())
	}
	var exits, firsts []time.Duration
	failed := 0
	for k := 0; k < cfg.N; k++ {
		r, err := RunClient(ctx, n, h, srv, cmd, nil, limit)
		if ctx.Err() != nil {
			return setupResult{}, nil, ctx.Err()
		}
		if err == nil && r.Bytes != int64(len(echoOut)) {
			err = fmt.Errorf("bench: %d bytes out, want %d", r.Bytes, len(echoOut))
		}
		if err != nil {
			failed++
			fmt.Fprintf(cfg.Log, "setup: %s run %d: %v\n", srv.Impl.Name, k+1, err)
			continue
		}
		exits = append(exits, r.Exit)
		firsts = append(firsts, r.FirstByte)
	}
	bd, err := tracedRun(ctx, n, h, srv, cmd, rtt, limit)
	if err != nil {
		fmt.Fprintf(cfg.Log, "setup: %s: traced run for the breakdown: %v\n", srv.Impl.Name, err)
	}
	e, f := summarize(exits), summarize(firsts)
	return setupResult{
		Impl: srv.Impl.Name, RTTms: ms(rtt), N: len(exits),
		MedianMs: ms(e.Median), MinMs: ms(e.Min), MaxMs: ms(e.Max), RTTs: inRTTs(e.Median, rtt),
		FirstByteMedianMs: ms(f.Median), FirstByteMinMs: ms(f.Min), FirstByteMaxMs: ms(f.Max),
		FirstByteRTTs: inRTTs(f.Median, rtt), Failed: failed,
	}, bd, nil
}

// tracedRun is one more run, not in the medians, traced for the breakdown:
// the relay's packets (flights) and the client's own milestones (qlog or
// ssh -v; see Impl.Trace).
func tracedRun(ctx context.Context, n *Net, h *Host, srv *Server, cmd []string, rtt, limit time.Duration) (*Breakdown, error) {
	tr := &traceOpts{}
	var qdir string
	switch srv.Impl.Trace {
	case TraceQlog:
		d, err := os.MkdirTemp(h.Dir, "qlog-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		qdir = d
		tr.env = []string{"QLOGDIR=" + d}
	case TraceSSHv:
		tr.args = []string{"-v"}
		tr.lines = &stampedLines{}
	}
	if n.Relay != nil {
		n.Relay.StartCapture()
	}
	r, err := runClientOpts(ctx, n, h, srv, cmd, nil, nil, limit, tr)
	var recs []packetRecord
	if n.Relay != nil {
		recs = n.Relay.StopCapture()
	}
	if err != nil {
		return nil, err
	}
	sortRecords(recs)
	bd := &Breakdown{Impl: srv.Impl.Name, RTT: rtt, FirstByte: r.FirstByte, Exit: r.Exit, Trace: srv.Impl.Trace}
	if n.Relay != nil {
		bd.Flights = Flights(oneConnection(recs, r.Start), r.Start, flightGap(rtt))
	}
	ms, err := tracedMilestones(srv.Impl.Trace, qdir, tr.lines, r.Start)
	bd.Milestones = append(ms, Milestone{Phase: "first output", What: "first byte on the client's stdout", At: r.FirstByte},
		Milestone{Phase: "exit", What: "client exited", At: r.Exit})
	return bd, err
}

// flightGap splits two runs of packets in one direction: a quarter RTT,
// at least 2 ms.
func flightGap(rtt time.Duration) time.Duration { return max(rtt/4, 2*time.Millisecond) }
