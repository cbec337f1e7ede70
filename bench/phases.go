package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Milestone is one step of a session's setup as the client saw it, timed
// from the client process's start.
type Milestone struct {
	Phase string        // handshake, CONNECT, channel, first output, exit
	What  string        // the event it was read from
	At    time.Duration // since the client's start
}

// Tracing of one unmeasured run per row, for the round-trip breakdown:
// ours writes a qlog (QLOGDIR) that names the QUIC handshake, the CONNECT
// request and its answer, and the channel's stream; OpenSSH's `ssh -v`
// prints a debug line at each protocol step, timed when the bench reads it.
const (
	TraceQlog = "qlog"
	TraceSSHv = "ssh -v"
)

// stampedLines timestamps each line written to it, from t0.
type stampedLines struct {
	t0    time.Time
	mu    sync.Mutex // guards lines and part
	part  []byte
	lines []stampedLine
}

type stampedLine struct {
	at   time.Duration
	text string
}

func (s *stampedLines) Write(p []byte) (int, error) {
	now := time.Since(s.t0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.part = append(s.part, p...)
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			break
		}
		if len(s.lines) < 4096 {
			s.lines = append(s.lines, stampedLine{now, strings.TrimRight(string(s.part[:i]), "\r")})
		}
		s.part = s.part[i+1:]
	}
	return len(p), nil
}

// milestonesFromSSHv are the `ssh -v` (OpenSSH 9.x) lines that mark a setup
// step, in order, by prefix after "debug1: " if any.
var sshvMilestones = []struct{ phase, prefix string }{
	{"handshake", "Connection established"},                 // TCP
	{"handshake", "SSH2_MSG_NEWKEYS received"},              // key exchange done
	{"auth (≈ CONNECT)", "Authenticated to"},                // user authentication done
	{"channel", "channel 0: new session"},                   // CHANNEL_OPEN sent
	{"channel", "Sending command"},                          // open confirmed, exec sent
	{"first output", "client_input_channel_req: channel 0"}, // exit-status (after output)
}

// milestonesFromSSHv picks the setup steps out of `ssh -v` stderr lines.
func milestonesFromSSHv(lines []stampedLine) []Milestone {
	var out []Milestone
	next := 0
	for _, l := range lines {
		if next >= len(sshvMilestones) {
			break
		}
		// debug1 lines, and "Authenticated to", which ssh -v prints at
		// the verbose level without a prefix.
		text := strings.TrimPrefix(l.text, "debug1: ")
		for k := next; k < len(sshvMilestones); k++ {
			if strings.HasPrefix(text, sshvMilestones[k].prefix) {
				if sshvMilestones[k].phase == "first output" {
					break // shown from stdout instead
				}
				out = append(out, Milestone{Phase: sshvMilestones[k].phase, What: "ssh -v: " + trimTo(text, 60), At: l.at})
				next = k + 1
				break
			}
		}
	}
	return out
}

func trimTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// qlogEvent is one record of a quic-go qlog (JSON-SEQ).
type qlogEvent struct {
	Time float64         `json:"time"` // ms since the reference time
	Name string          `json:"name"`
	Data json.RawMessage `json:"data"`
}

type qlogHeader struct {
	Trace struct {
		CommonFields struct {
			ReferenceTime struct {
				WallClock time.Time `json:"wall_clock_time"`
			} `json:"reference_time"`
		} `json:"common_fields"`
	} `json:"trace"`
}

type qlogPacket struct {
	Frames []struct {
		Type     string `json:"frame_type"`
		StreamID *int64 `json:"stream_id"`
		Length   int64  `json:"length"`
	} `json:"frames"`
}

type qlogH3Frame struct {
	StreamID int64 `json:"stream_id"`
	Frame    struct {
		Type    string `json:"frame_type"`
		Headers []struct {
			Name, Value string
		} `json:"headers"`
	} `json:"frame"`
}

// qlogMilestones reads a client's qlog and returns the setup steps, timed
// from t0: the QUIC handshake complete, the CONNECT request's first packet,
// the first packet of the channel's stream (the first client bidirectional
// stream after the CONNECT stream), the CONNECT's answer, and the first
// bytes received on the channel's stream.
func qlogMilestones(r io.Reader, t0 time.Time) ([]Milestone, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var ref time.Time
	var out []Milestone
	seen := map[string]bool{}
	add := func(key, phase, what string, ms float64) {
		if seen[key] {
			return
		}
		seen[key] = true
		at := ref.Add(time.Duration(ms * float64(time.Millisecond))).Sub(t0)
		out = append(out, Milestone{Phase: phase, What: what, At: at})
	}
	first := true
	for sc.Scan() {
		line := bytes.TrimLeft(sc.Bytes(), "\x1e \t")
		if len(line) == 0 {
			continue
		}
		if first {
			first = false
			var h qlogHeader
			if err := json.Unmarshal(line, &h); err != nil || h.Trace.CommonFields.ReferenceTime.WallClock.IsZero() {
				return nil, fmt.Errorf("bench: qlog: no wall-clock reference time in its header")
			}
			ref = h.Trace.CommonFields.ReferenceTime.WallClock
			continue
		}
		var ev qlogEvent
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		switch ev.Name {
		case "quic:connection_state_updated":
			var d struct{ New string }
			if json.Unmarshal(ev.Data, &d) == nil && d.New == "handshake_complete" {
				add("hs", "handshake", "QUIC handshake complete (server Finished received)", ev.Time)
			}
		case "transport:packet_sent", "transport:packet_received":
			var p qlogPacket
			if json.Unmarshal(ev.Data, &p) != nil {
				continue
			}
			for _, f := range p.Frames {
				if f.Type != "stream" || f.StreamID == nil || *f.StreamID%4 != 0 {
					continue // client-initiated bidirectional streams only
				}
				id := *f.StreamID
				switch {
				case ev.Name == "transport:packet_sent" && id == 0:
					add("connect", "CONNECT", "CONNECT request's first packet sent (stream 0)", ev.Time)
				case ev.Name == "transport:packet_sent":
					add("chan", "channel", fmt.Sprintf("channel stream's first packet sent (stream %d)", id), ev.Time)
				case id != 0 && f.Length > 0:
					add("chanrecv", "channel", fmt.Sprintf("first bytes received on the channel stream (stream %d)", id), ev.Time)
				}
			}
		case "http3:frame_parsed":
			var f qlogH3Frame
			if json.Unmarshal(ev.Data, &f) != nil || f.StreamID != 0 || f.Frame.Type != "headers" {
				continue
			}
			for _, hd := range f.Frame.Headers {
				if hd.Name == ":status" {
					add("status", "CONNECT", "CONNECT answered: :status "+hd.Value, ev.Time)
				}
			}
		}
	}
	if ref.IsZero() {
		return nil, fmt.Errorf("bench: qlog: empty")
	}
	sortMilestones(out)
	return out, sc.Err()
}

func sortMilestones(ms []Milestone) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].At < ms[j-1].At; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// clientQlog is the client's qlog file in dir (quic-go names it
// CONNID_client.sqlog).
func clientQlog(dir string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(dir, "*_client.sqlog"))
	if len(m) == 0 {
		m, _ = filepath.Glob(filepath.Join(dir, "*client*"))
	}
	if len(m) == 0 {
		return "", fmt.Errorf("bench: no client qlog in %s", dir)
	}
	return m[0], nil
}

// tracedMilestones reads the milestones of a traced run.
func tracedMilestones(trace, qdir string, stderr *stampedLines, t0 time.Time) ([]Milestone, error) {
	switch trace {
	case TraceQlog:
		f, err := clientQlog(qdir)
		if err != nil {
			return nil, err
		}
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		return qlogMilestones(fh, t0)
	case TraceSSHv:
		stderr.mu.Lock()
		defer stderr.mu.Unlock()
		return milestonesFromSSHv(stderr.lines), nil
	}
	return nil, nil
}
