package bench

import (
	"slices"
	"testing"
	"time"
)

func TestParseDurations(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   string
		want []time.Duration
	}{
		{"0,10,50,100,200ms", []time.Duration{0, 10 * ms, 50 * ms, 100 * ms, 200 * ms}},
		{"50", []time.Duration{50 * ms}},
		{"1s,20ms", []time.Duration{time.Second, 20 * ms}},
		{"1,2s,3", []time.Duration{time.Second, 2 * time.Second, 3 * ms}},
		{" 5 , 7ms", []time.Duration{5 * ms, 7 * ms}},
	} {
		got, err := ParseDurations(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseDurations(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "1,,2", "x", "-5ms", "5parsecs"} {
		if got, err := ParseDurations(bad); err == nil {
			t.Errorf("ParseDurations(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"200M": 200 << 20, "8m": 8 << 20, "1G": 1 << 30, "512K": 512 << 10, "100": 100, "2MB": 2 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1M", "0", "1T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q): want an error", bad)
		}
	}
}

func TestParseInts(t *testing.T) {
	if got, err := ParseInts("100, 1000,10000"); err != nil || !slices.Equal(got, []int{100, 1000, 10000}) {
		t.Errorf("ParseInts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-3"} {
		if _, err := ParseInts(bad); err == nil {
			t.Errorf("ParseInts(%q): want an error", bad)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`a b  c`:               {"a", "b", "c"},
		`ssh -o 'A=b c' {cmd}`: {"ssh", "-o", "A=b c", "{cmd}"},
		`x "" y`:               {"x", "", "y"},
		`'it"s'`:               {`it"s`},
		``:                     nil,
	} {
		if got, err := splitWords(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := splitWords(`a 'b`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"{host}": "198.18.0.2", "{port}": "40022", "{user}": "u", "{key}": "/k"}
	got, err := expand(`ssh -i {key} -p {port} {user}@{host} {cmd}`, vars, []string{"echo", "hi there"})
	want := []string{"ssh", "-i", "/k", "-p", "40022", "u@198.18.0.2", "echo", "hi there"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Expand = %q, %v; want %q", got, err, want)
	}
	got, _ = expand(`sh -c 'run {cmd}' {cmd}`, vars, []string{"a", "b"})
	if want := []string{"sh", "-c", "run a b", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Expand embedded {cmd} = %q, want %q", got, want)
	}
	got, _ = expand(`client {user}@{host} {cmd}`, vars, nil)
	if want := []string{"client", "u@198.18.0.2"}; !slices.Equal(got, want) {
		t.Errorf("Expand without a command = %q, want %q", got, want)
	}
	if _, err := expand("  ", vars, nil); err == nil {
		t.Error("empty template accepted")
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]time.Duration{5, 1, 3})
	if s != (Summary{Median: 3, Min: 1, Max: 5}) {
		t.Errorf("odd: %+v", s)
	}
	if s := summarize([]time.Duration{4, 1, 2, 3}); s.Median != 2 {
		t.Errorf("even median %v, want mean of the middle two", s.Median)
	}
	if s := summarize(nil); s != (Summary{}) {
		t.Errorf("empty: %+v", s)
	}
	if inRTTs(150*time.Millisecond, 50*time.Millisecond) != 3 || inRTTs(time.Second, 0) != 0 {
		t.Error("inRTTs")
	}
}
