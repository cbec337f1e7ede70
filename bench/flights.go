package bench

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
)

// classify names an IPv4 packet for the flight table: TCP flags and
// whether it carries data (and "SSH-" banners), or the QUIC packet type
// from the first byte of a UDP payload.
func classify(p []byte) string {
	if len(p) < 20 || p[0]>>4 != 4 {
		return "other"
	}
	ihl := int(p[0]&0x0f) * 4
	if len(p) < ihl {
		return "other"
	}
	l4 := p[ihl:]
	switch p[9] {
	case 6:
		return classifyTCP(l4)
	case 17:
		if len(l4) < 9 {
			return "UDP"
		}
		return classifyQUIC(l4[8:])
	}
	return "other"
}

func classifyTCP(t []byte) string {
	if len(t) < 20 {
		return "TCP"
	}
	flags := t[13]
	payload := t[int(t[12]>>4)*4:]
	switch {
	case flags&0x02 != 0 && flags&0x10 != 0:
		return "TCP SYN-ACK"
	case flags&0x02 != 0:
		return "TCP SYN"
	case flags&0x01 != 0:
		return "TCP FIN"
	case flags&0x04 != 0:
		return "TCP RST"
	case bytes.HasPrefix(payload, []byte("SSH-")):
		return "SSH banner"
	case len(payload) > 0:
		return "TCP data"
	}
	return "TCP ACK"
}

func classifyQUIC(q []byte) string {
	if len(q) == 0 {
		return "UDP"
	}
	if q[0]&0x80 == 0 {
		return "QUIC 1-RTT"
	}
	return [4]string{"QUIC Initial", "QUIC 0-RTT", "QUIC Handshake", "QUIC Retry"}[(q[0]>>4)&3]
}

// ports returns an IPv4 TCP or UDP packet's source and destination ports.
func ports(p []byte) (src, dst uint16, ok bool) {
	if len(p) < 20 || p[0]>>4 != 4 || (p[9] != 6 && p[9] != 17) {
		return 0, 0, false
	}
	ihl := int(p[0]&0x0f) * 4
	if len(p) < ihl+4 {
		return 0, 0, false
	}
	return uint16(p[ihl])<<8 | uint16(p[ihl+1]), uint16(p[ihl+2])<<8 | uint16(p[ihl+3]), true
}

// oneConnection keeps the records of the first connection the client
// opened after t0 (its first TCP SYN or QUIC Initial), so packets of an
// earlier run's closing connection are left out.
func oneConnection(recs []packetRecord, t0 time.Time) []packetRecord {
	var port uint16
	for _, r := range recs {
		if r.Dir == ClientToServer && !r.At.Before(t0) && (r.Kind == "TCP SYN" || r.Kind == "QUIC Initial") {
			port = r.ClientPort
			break
		}
	}
	if port == 0 {
		return recs
	}
	var out []packetRecord
	for _, r := range recs {
		if r.ClientPort == port {
			out = append(out, r)
		}
	}
	return out
}

// Flight is a run of packets in one direction with no gap longer than the
// flight gap between them.
type Flight struct {
	Dir     Direction
	Start   time.Duration // since the client process started
	Packets int
	Bytes   int
	Kinds   []string // in order of first appearance, with counts
}

// Flights groups records into flights. Pure ACKs are left out (they ride
// along with every flight); gap splits two runs in the same direction.
func Flights(recs []packetRecord, t0 time.Time, gap time.Duration) []Flight {
	var out []Flight
	var last time.Time
	counts := map[string]int{}
	var order []string
	flush := func() {
		if len(out) == 0 {
			return
		}
		f := &out[len(out)-1]
		f.Kinds = nil
		for _, k := range order {
			f.Kinds = append(f.Kinds, fmt.Sprintf("%s×%d", k, counts[k]))
		}
		clear(counts)
		order = order[:0]
	}
	for _, r := range recs {
		if r.Kind == "TCP ACK" {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Dir != r.Dir || r.At.Sub(last) > gap {
			flush()
			out = append(out, Flight{Dir: r.Dir, Start: r.At.Sub(t0)})
		}
		f := &out[len(out)-1]
		f.Packets++
		f.Bytes += r.Size
		if counts[r.Kind] == 0 {
			order = append(order, r.Kind)
		}
		counts[r.Kind]++
		last = r.At
	}
	flush()
	return out
}

// Breakdown is the flights of one run with the client's milestones.
type Breakdown struct {
	Impl      string
	RTT       time.Duration
	Flights   []Flight
	FirstByte time.Duration
	Exit      time.Duration
	// Milestones are the client's own view of the phases (Trace says
	// from what), in time order, ending with first output and exit.
	Milestones []Milestone
	Trace      string
}

// Markdown renders the breakdown as a table, times in ms and in RTTs.
func (b Breakdown) Markdown() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s at %v RTT (first output at %s, exit at %s)\n\n", b.Impl, b.RTT, b.inRTT(b.FirstByte), b.inRTT(b.Exit))
	s.WriteString("| # | dir | starts at | packets | bytes | contents |\n|---|---|---|---|---|---|\n")
	for i, f := range b.Flights {
		fmt.Fprintf(&s, "| %d | %s | %s | %d | %d | %s |\n", i+1, f.Dir, b.inRTT(f.Start), f.Packets, f.Bytes, strings.Join(f.Kinds, ", "))
	}
	if len(b.Milestones) > 0 {
		src := b.Trace
		if src == "" {
			src = "the bench"
		}
		fmt.Fprintf(&s, "\nPhases as the client saw them (from %s; flights before each: c→s flights started before it):\n\n", src)
		s.WriteString("| phase | event | at | client flights sent before |\n|---|---|---|---|\n")
		for _, m := range b.Milestones {
			fmt.Fprintf(&s, "| %s | %s | %s | %d |\n", m.Phase, m.What, b.inRTT(m.At), b.flightsBefore(m.At))
		}
	}
	return s.String()
}

// flightsBefore counts the client's flights that started before at: the
// round trips the client had begun by then.
func (b Breakdown) flightsBefore(at time.Duration) int {
	k := 0
	for _, f := range b.Flights {
		if f.Dir == ClientToServer && f.Start < at {
			k++
		}
	}
	return k
}

func (b Breakdown) inRTT(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if b.RTT <= 0 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.1f ms = %.2f RTT", ms, float64(d)/float64(b.RTT))
}

// sortFlights orders flights by start time (records arrive ordered per
// direction, but the two directions' readers interleave).
func sortRecords(recs []packetRecord) {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].At.Before(recs[j].At) })
}
