package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReportJSONShape(t *testing.T) {
	rep := Report{Method: MethodTUN, Results: []setupResult{
		{Impl: "ssh3/ssh3-alpha", RTTms: 50, N: 10, MedianMs: 160.5, MinMs: 150, MaxMs: 170, RTTs: 3.21, FirstByteMedianMs: 155},
		{Impl: "openssh", RTTms: 50, Skipped: "not installed"},
	}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if keys := sortedKeys(doc); !slices.Equal(keys, []string{"method", "results"}) {
		t.Errorf("top-level keys %v, want exactly method and results", keys)
	}
	if _, ok := doc["method"].(string); !ok {
		t.Errorf("method is %T, want a string", doc["method"])
	}
	results := doc["results"].([]any)
	row := results[0].(map[string]any)
	want := map[string]any{"impl": "ssh3/ssh3-alpha", "rtt_ms": 50.0, "n": 10.0, "median_ms": 160.5, "min_ms": 150.0, "max_ms": 170.0, "rtts": 3.21}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("results[0][%q] = %v (%T), want %v", k, row[k], row[k], v)
		}
	}
	for _, k := range []string{"impl", "rtt_ms", "n", "median_ms", "min_ms", "max_ms", "rtts"} {
		if _, ok := results[1].(map[string]any)[k]; !ok {
			t.Errorf("skipped row lacks %q", k)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func checkXML(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if se.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("root namespace %q", se.Name.Space)
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
}

func TestSetupPlotIsWellFormedSVG(t *testing.T) {
	rep := Report{Method: "m", Results: []setupResult{
		{Impl: `a<b>&"c"`, RTTms: 0, N: 1, MedianMs: 5, FirstByteMedianMs: 4},
		{Impl: `a<b>&"c"`, RTTms: 50, N: 1, MedianMs: 160, FirstByteMedianMs: 150},
		{Impl: "openssh", RTTms: 50, N: 1, MedianMs: 1200, FirstByteMedianMs: 1190},
		{Impl: "skipped", RTTms: 50, Skipped: "x"},
	}}
	svg := setupPlot(rep)
	checkXML(t, svg)
	if !bytes.Contains(svg, []byte("a&lt;b&gt;&amp;")) {
		t.Error("implementation name not escaped")
	}
	if bytes.Contains(svg, []byte("skipped")) {
		t.Error("a skipped row was plotted")
	}
	checkXML(t, Plot{Title: "empty"}.SVG())
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {1, 1}, {1.6, 2}, {3, 3}, {7, 8}, {180, 200}, {1234, 1500}, {2745, 3000}, {9000, 10000}} {
		if got := niceMax(c.in); got != c.want {
			t.Errorf("niceMax(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestWriteSetupMarkdownShowsOneRTTsBreakdowns(t *testing.T) {
	var b strings.Builder
	bd := func(rtt time.Duration) Breakdown {
		return Breakdown{Impl: "x", RTT: rtt, Flights: []Flight{{Dir: ClientToServer, Start: rtt / 2, Packets: 1, Bytes: 60, Kinds: []string{"TCP SYN×1"}}}}
	}
	writeSetupMarkdown(&b, Report{Method: "m", Results: []setupResult{{Impl: "x", RTTms: 50, N: 1}}},
		[]Breakdown{bd(10 * time.Millisecond), bd(50 * time.Millisecond), bd(100 * time.Millisecond)})
	out := b.String()
	if strings.Count(out, "x at ") != 1 || !strings.Contains(out, "x at 50ms RTT") {
		t.Errorf("want only the 50 ms breakdown:\n%s", out)
	}
	if !strings.Contains(out, "25.0 ms = 0.50 RTT") {
		t.Errorf("flight start not in RTTs:\n%s", out)
	}
}
