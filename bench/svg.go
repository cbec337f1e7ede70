package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Series is one line of a plot.
type Series struct {
	Name   string
	X, Y   []float64
	Dashed bool
}

// Plot is a line chart.
type Plot struct {
	Title, Subtitle string
	XLabel, YLabel  string
	Series          []Series
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}

// setupPlot draws median time to exit (solid) and to the first byte
// (dashed) against RTT, one colour per implementation.
func setupPlot(rep Report) []byte {
	p := Plot{Title: "Session setup: ssh3-bench setup (median of n runs, fresh connection)",
		XLabel: "emulated RTT (ms)", YLabel: "ms from client start",
		Subtitle: "solid: to the client's exit; dashed: to the first byte of output; method: " + strings.SplitN(rep.Method, ":", 2)[0]}
	var order []string
	byImpl := map[string][]setupResult{}
	for _, r := range rep.Results {
		if r.Skipped != "" || r.N == 0 {
			continue
		}
		if _, ok := byImpl[r.Impl]; !ok {
			order = append(order, r.Impl)
		}
		byImpl[r.Impl] = append(byImpl[r.Impl], r)
	}
	for _, name := range order {
		var ex, fb Series
		ex.Name, fb.Name, fb.Dashed = name+": exit", name+": first byte", true
		for _, r := range byImpl[name] {
			ex.X, ex.Y = append(ex.X, r.RTTms), append(ex.Y, r.MedianMs)
			fb.X, fb.Y = append(fb.X, r.RTTms), append(fb.Y, r.FirstByteMedianMs)
		}
		p.Series = append(p.Series, ex, fb)
	}
	return p.SVG()
}

// niceMax rounds v up to a round step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8)
// times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

// SVG renders the plot; every text goes through XML escaping.
func (p Plot) SVG() []byte {
	const w, h, left, right, top, bottom = 760.0, 460.0, 70.0, 250.0, 46.0, 50.0
	pw, ph := w-left-right, h-top-bottom
	var xmax, ymax float64
	for _, s := range p.Series {
		if len(s.X) > 0 {
			xmax = max(xmax, slices.Max(s.X))
			ymax = max(ymax, slices.Max(s.Y))
		}
	}
	xmax, ymax = niceMax(xmax), niceMax(ymax)
	px := func(x float64) float64 { return left + x/xmax*pw }
	py := func(y float64) float64 { return top + ph - y/ymax*ph }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	text(&b, w/2, 20, "middle", 14, p.Title)
	text(&b, w/2, 34, "middle", 10, p.Subtitle)
	for i := 0; i <= 5; i++ {
		xv, yv := xmax*float64(i)/5, ymax*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(yv), left+pw, py(yv))
		text(&b, left-6, py(yv)+4, "end", 11, fmt.Sprintf("%g", round2(yv)))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", px(xv), top, px(xv), top+ph)
		text(&b, px(xv), top+ph+16, "middle", 11, fmt.Sprintf("%g", round2(xv)))
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	text(&b, left+pw/2, h-12, "middle", 12, p.XLabel)
	fmt.Fprintf(&b, `<text x="16" y="%.1f" text-anchor="middle" transform="rotate(-90 16 %.1f)">`, top+ph/2, top+ph/2)
	_ = xml.EscapeText(&b, []byte(p.YLabel))
	b.WriteString("</text>\n")
	for i, s := range p.Series {
		color := palette[(i/2)%len(palette)]
		if len(p.Series) > 0 && !hasPairs(p.Series) {
			color = palette[i%len(palette)]
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts bytes.Buffer
		for k := range s.X {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(s.X[k]), py(s.Y[k]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", color, dash, bytes.TrimSpace(pts.Bytes()))
		for k := range s.X {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.X[k]), py(s.Y[k]), color)
		}
		ly := top + 10 + float64(i)*20
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", left+pw+15, ly, left+pw+40, ly, color, dash)
		text(&b, left+pw+46, ly+4, "start", 11, s.Name)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// hasPairs tells whether series come as solid/dashed pairs of one colour.
func hasPairs(ss []Series) bool {
	if len(ss)%2 != 0 {
		return false
	}
	for i := 0; i < len(ss); i += 2 {
		if ss[i].Dashed || !ss[i+1].Dashed {
			return false
		}
	}
	return true
}

func text(b *bytes.Buffer, x, y float64, anchor string, size int, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d">`, x, y, anchor, size)
	_ = xml.EscapeText(b, []byte(s))
	b.WriteString("</text>\n")
}

// Bars is a horizontal bar chart: groups of bars, one colour per series.
type Bars struct {
	Title, Subtitle string
	XLabel          string
	Groups          []string
	Series          []string
	// Values[g][s] is series s in group g; negative: no bar.
	Values [][]float64
}

// SVG renders the chart; every text goes through XML escaping.
func (p Bars) SVG() []byte {
	const w, left, right, top, barH, gap = 760.0, 250.0, 60.0, 60.0, 12.0, 10.0
	pw := w - left - right
	groupH := float64(len(p.Series))*barH + gap
	h := top + float64(len(p.Groups))*groupH + 50 + 18*float64(len(p.Series))
	var vmax float64
	for _, row := range p.Values {
		for _, v := range row {
			vmax = max(vmax, v)
		}
	}
	vmax = niceMax(vmax)
	px := func(v float64) float64 { return left + v/vmax*pw }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	text(&b, w/2, 20, "middle", 14, p.Title)
	text(&b, w/2, 34, "middle", 10, p.Subtitle)
	bottom := top + float64(len(p.Groups))*groupH
	for i := 0; i <= 5; i++ {
		v := vmax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", px(v), top-4, px(v), bottom)
		text(&b, px(v), bottom+14, "middle", 11, fmt.Sprintf("%g", round2(v)))
	}
	text(&b, left+pw/2, bottom+30, "middle", 12, p.XLabel)
	for g, name := range p.Groups {
		y0 := top + float64(g)*groupH
		text(&b, left-8, y0+float64(len(p.Series))*barH/2+4, "end", 11, name)
		for s := range p.Series {
			if g >= len(p.Values) || s >= len(p.Values[g]) || p.Values[g][s] < 0 {
				continue
			}
			v := p.Values[g][s]
			y := y0 + float64(s)*barH
			fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="%.1f" height="%g" fill="%s"/>`+"\n", left, y, px(v)-left, barH-2, palette[s%len(palette)])
			text(&b, px(v)+4, y+barH-3, "start", 10, fmt.Sprintf("%.1f", v))
		}
	}
	for s, name := range p.Series {
		ly := bottom + 48 + float64(s)*18
		fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="20" height="10" fill="%s"/>`+"\n", left, ly-9, palette[s%len(palette)])
		text(&b, left+26, ly, "start", 11, name)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// throughputPlot draws MB/s per direction and RTT, one bar per
// implementation; skipped rows have no bar.
func throughputPlot(method string, res []throughputResult) []byte {
	p := Bars{Title: "Throughput: ssh3-bench throughput (median MB/s, 10^6 bytes/s)", XLabel: "MB/s",
		Subtitle: "UDP: best paced load delivered with ≤ 5% loss; method: " + strings.SplitN(method, ":", 2)[0]}
	gi, si := map[string]int{}, map[string]int{}
	for _, r := range res {
		if r.Direction == "" {
			continue
		}
		g := barGroup(r)
		if _, ok := gi[g]; !ok {
			gi[g] = len(p.Groups)
			p.Groups = append(p.Groups, g)
		}
		if _, ok := si[r.Impl]; !ok {
			si[r.Impl] = len(p.Series)
			p.Series = append(p.Series, r.Impl)
		}
	}
	p.Values = make([][]float64, len(p.Groups))
	for g := range p.Values {
		p.Values[g] = slices.Repeat([]float64{-1}, len(p.Series))
	}
	for _, r := range res {
		if r.Direction == "" || r.Skipped != "" {
			continue
		}
		p.Values[gi[barGroup(r)]][si[r.Impl]] = r.MBps
	}
	return p.SVG()
}

// barGroup is a throughput row's group label: a short direction and RTT.
func barGroup(r throughputResult) string {
	short := map[string]string{Upload: "upload (stdin → cat)", Download: "download (head → stdout)",
		ForwardL: "-L TCP forwarding", ForwardU: "UDP forwarding"}[r.Direction]
	if short == "" {
		short = r.Direction
	}
	return fmt.Sprintf("%s, %g ms RTT", short, r.RTTms)
}
