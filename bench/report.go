package bench

import (
	"fmt"
	"io"
	"time"
)

// writeSetupMarkdown writes the setup table and the flight breakdowns.
func writeSetupMarkdown(w io.Writer, rep Report, bds []Breakdown) {
	fmt.Fprintf(w, "### Session setup (remote `echo`, fresh connection each run)\n\nMethod: %s\n\n", rep.Method)
	fmt.Fprintln(w, "| impl | RTT ms | n | exit median ms | min | max | exit in RTTs | added RTTs | first byte median ms | first byte in RTTs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rep.Results {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | %g | – | skipped: %s ||||||\n", r.Impl, r.RTTms, r.Skipped)
			continue
		}
		added := "–"
		if r.AddedRTTs != 0 {
			added = fmt.Sprintf("%.2f", r.AddedRTTs)
		}
		fmt.Fprintf(w, "| %s | %g | %d | %.1f | %.1f | %.1f | %s | %s | %.1f | %s |\n", r.Impl, r.RTTms, r.N,
			r.MedianMs, r.MinMs, r.MaxMs, rttCell(r.RTTs, r.RTTms), added, r.FirstByteMedianMs, rttCell(r.FirstByteRTTs, r.RTTms))
	}
	fmt.Fprintln(w, "\n(added RTTs: (median − the median at 0 ms) / RTT, the round trips the network adds on top of CPU and process start-up.)")
	if len(bds) > 0 {
		fmt.Fprintln(w, "\n### Round-trip breakdown (one more, traced run per row, not in the medians: flights seen by the relay, pure ACKs left out; then the client's own milestones)")
		show := breakdownRTT(bds)
		for _, b := range bds {
			if b.RTT != show {
				continue
			}
			fmt.Fprintln(w)
			fmt.Fprint(w, b.Markdown())
		}
	}
	fmt.Fprintln(w)
}

func rttCell(v, rttMs float64) string {
	if rttMs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// breakdownRTT picks the RTT whose breakdowns are shown: 50 ms if measured,
// else the largest.
func breakdownRTT(bds []Breakdown) time.Duration {
	var best time.Duration
	for _, b := range bds {
		if b.RTT == 50*time.Millisecond {
			return b.RTT
		}
		best = max(best, b.RTT)
	}
	return best
}
