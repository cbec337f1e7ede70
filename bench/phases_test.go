package bench

import (
	"strings"
	"testing"
	"time"
)

func TestQlogMilestones(t *testing.T) {
	ref := time.Date(2026, 12, 2, 16, 17, 7, 0, time.UTC)
	qlog := "\x1e" + `{"qlog_format":"JSON-SEQ","trace":{"common_fields":{"reference_time":{"clock_type":"monotonic","wall_clock_time":"2026-12-02T16:17:07Z"}}}}
{"time":1,"name":"transport:packet_sent","data":{"header":{"packet_type":"initial"},"frames":[{"frame_type":"crypto","offset":0,"length":1236}]}}
{"time":50,"name":"quic:connection_state_updated","data":{"new":"handshake_complete"}}
{"time":51,"name":"transport:packet_sent","data":{"frames":[{"frame_type":"stream","stream_id":2,"offset":0,"length":10}]}}
{"time":52,"name":"transport:packet_sent","data":{"frames":[{"frame_type":"stream","stream_id":0,"offset":0,"length":410},{"frame_type":"stream","stream_id":4,"offset":0,"length":37}]}}
{"time":53,"name":"transport:packet_sent","data":{"frames":[{"frame_type":"stream","stream_id":0,"offset":410,"length":5}]}}
{"time":100,"name":"transport:packet_received","data":{"frames":[{"frame_type":"stream","stream_id":4,"offset":0,"length":6}]}}
{"time":101,"name":"http3:frame_parsed","data":{"stream_id":0,"frame":{"frame_type":"headers","headers":[{"name":":status","value":"200"}]}}}
`
	ms, err := qlogMilestones(strings.NewReader(qlog), ref.Add(-10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		phase string
		at    time.Duration
	}{{"handshake", 60}, {"CONNECT", 62}, {"channel", 62}, {"channel", 110}, {"CONNECT", 111}}
	if len(ms) != len(want) {
		t.Fatalf("milestones = %+v", ms)
	}
	for i, w := range want {
		if ms[i].Phase != w.phase || ms[i].At != w.at*time.Millisecond {
			t.Errorf("milestone %d = %+v, want %s at %v ms", i, ms[i], w.phase, int64(w.at))
		}
	}
	if !strings.Contains(ms[4].What, "200") || !strings.Contains(ms[2].What, "stream 4") {
		t.Errorf("descriptions: %+v", ms)
	}
	if _, err := qlogMilestones(strings.NewReader("{}\n"), ref); err == nil {
		t.Error("a qlog without a reference time: want an error")
	}
}

func TestSSHvMilestonesFromStampedLines(t *testing.T) {
	s := &stampedLines{t0: time.Now()}
	for _, l := range []string{
		"OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.17 1 Jul 2025\n",
		"debug1: Connecting to 198.18.0.2 [198.18.0.2] port 40024.\ndebug1: Connection established.\n",
		"debug1: SSH2_MSG_NEWKEYS sent\r\ndebug1: SSH2_MSG_NEWKEYS received\r\n",
		"Authenticated to 198.18.0.2 ([198.18.0.2]:40024) using \"publickey\".\n",
		"debug1: channel 0: new session [client-session] (inactive timeout: 0)\n",
		"debug1: Sending command: echo ssh3-bench\n",
		"debug1: client_input_channel_req: channel 0 rtype exit-status reply 0\n",
		"debug1: Sending command: again\npartial line",
	} {
		_, _ = s.Write([]byte(l))
	}
	ms := milestonesFromSSHv(s.lines)
	var phases []string
	for _, m := range ms {
		phases = append(phases, m.Phase)
	}
	if got := strings.Join(phases, ","); got != "handshake,handshake,auth (≈ CONNECT),channel,channel" {
		t.Errorf("phases = %s (%+v)", got, ms)
	}
	if len(s.lines) != 10 || string(s.part) != "partial line" {
		t.Errorf("lines = %d, part %q", len(s.lines), s.part)
	}
}

func TestBreakdownMarkdownShowsPhases(t *testing.T) {
	b := Breakdown{Impl: "x", RTT: 50 * time.Millisecond, Trace: TraceQlog,
		Flights: []Flight{{Dir: ClientToServer, Start: 5 * time.Millisecond}, {Dir: ServerToClient, Start: 30 * time.Millisecond},
			{Dir: ClientToServer, Start: 56 * time.Millisecond}},
		Milestones: []Milestone{{Phase: "handshake", What: "hs", At: 55 * time.Millisecond}, {Phase: "first output", What: "out", At: 110 * time.Millisecond}}}
	out := b.Markdown()
	for _, want := range []string{"from qlog", "| handshake | hs | 55.0 ms = 1.10 RTT | 1 |", "| first output | out | 110.0 ms = 2.20 RTT | 2 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestWriteThroughputMarkdown(t *testing.T) {
	var b strings.Builder
	writeThroughputMarkdown(&b, "m", []throughputResult{
		{Impl: "a", Direction: ForwardU, RTTms: 50, MBps: 9.9, LossPct: 0.5, ClientCPU: 1, ServerCPU: 2, BenchCPU: 3, CPUSource: "cgroup"},
		{Impl: "openssh", Direction: ForwardU, RTTms: 0, Skipped: "n/a"},
	})
	out := b.String()
	for _, want := range []string{"| a | 50 | UDP forwarding | 9.9 (0.5% lost) | 1.00 | 2.00 | 3.00 | 3.00 | cgroup |", "| openssh | 0 | UDP forwarding | skipped: n/a |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestProcessesFit(t *testing.T) {
	if why := processesFit(10, nil); why != "" {
		t.Errorf("10 conversations do not fit: %s", why)
	}
	huge := &ScaleResult{Conns: 100, Established: 100, PSSKBPerConv: 1 << 30, ClientPSSKBPerConv: 1}
	if why := processesFit(1000, huge); !strings.Contains(why, "MemAvailable") || !strings.Contains(why, "as measured at 100") {
		t.Errorf("1000 × 1 TB: %q", why)
	}
	if why := processesFit(1<<22, nil); !strings.Contains(why, "pid_max") {
		t.Errorf("4M conversations: %q", why)
	}
	if pidMax, tasks, err := pidUse(); err != nil || pidMax <= 0 || tasks <= 0 {
		t.Errorf("pidUse = %d %d %v", pidMax, tasks, err)
	}
}

func TestThroughputPlotIsWellFormedSVG(t *testing.T) {
	svg := throughputPlot("tun-relay: x", []throughputResult{
		{Impl: "a<b>", Direction: Upload, RTTms: 0, MBps: 40},
		{Impl: "openssh", Direction: Upload, RTTms: 0, MBps: 80},
		{Impl: "openssh", Direction: ForwardU, RTTms: 50, Skipped: "n/a"},
		{Impl: "skipped impl", Skipped: "not installed"},
	})
	checkXML(t, svg)
	if !strings.Contains(string(svg), "a&lt;b&gt;") || !strings.Contains(string(svg), "80.0") {
		t.Errorf("svg: %.400s", svg)
	}
}
