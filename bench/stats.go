package bench

import (
	"slices"
	"time"
)

// Summary is the median, minimum and maximum of samples.
type Summary struct {
	Median, Min, Max time.Duration
}

// summarize summarises samples; the median of an even count is the mean
// of the middle two. Zero for no samples.
func summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Summary{Median: m, Min: s[0], Max: s[len(s)-1]}
}

func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// inRTTs is d in round trips, 0 when rtt is 0.
func inRTTs(d, rtt time.Duration) float64 {
	if rtt <= 0 {
		return 0
	}
	return round2(float64(d) / float64(rtt))
}
