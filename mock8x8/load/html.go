package load

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var reportTemplate string

// reportHTML is parsed once at start-up: the template is part of the binary, so a broken
// one is a build defect that every test of WriteHTML catches.
var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"int":  fmtInt,
	"num":  fmtNum,
	"ms":   func(v float64) string { return fmtNum(v) + " ms" },
	"secs": fmtSecs,
	"pct":  fmtPct,
}).Parse(reportTemplate))

const (
	// chartW is the width of every chart in SVG user units. The SVGs stretch to the page,
	// so this fixes only the aspect ratio and how large the axis text is next to the plot.
	chartW = 880
	// The padding leaves room for tick labels ("1,500", "99.999%") and axis titles.
	padL, padR, padT, padB = 70, 30, 12, 42
	// maxValue clamps plotted values: anything larger is a data error (1e12 ms is 30
	// years), and much larger values would overflow the tick arithmetic to +Inf.
	maxValue = 1e12
	// maxDecades is the deepest percentile the distribution chart shows: 99.99999%.
	maxDecades = 7
	// maxHover bounds the per-second tooltip columns so an hour-long run stays a small file.
	maxHover = 3600
)

// WriteHTML writes r as one self-contained HTML page, for people rather than CI: the
// accounting, latency over time, the latency distribution and the thresholds. It needs
// nothing but the file to open: no scripts, fonts or links outside it, and the charts
// are inline SVG, so the page can be archived as a CI artefact and printed.
//
// The page is rendered in memory first so that w never receives half a report.
func (r *Report) WriteHTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := reportHTML.Execute(&buf, newReportView(r)); err != nil {
		return fmt.Errorf("load: rendering the HTML report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("load: writing the HTML report: %w", err)
	}
	return nil
}

// reportView is what the template sees: the report itself for plain values, plus
// everything that takes a decision or arithmetic, so the template stays declarative.
type reportView struct {
	R          *Report
	Started    string
	Verdict    string // "pass", "fail", or "" when no thresholds were set
	Sum        int64  // delivered + exhausted + rejected + pending
	Balanced   bool
	Retries    int64
	OK         int64 // attempts answered 2XX
	RatePct    string
	Short      bool // achieved under 95% of the target rate
	Errors     []countRow
	Latency    chart
	Attempts   chart
	Percentile chart
}

type countRow struct {
	Key   string
	Count int64
}

func newReportView(r *Report) reportView {
	res := r.Results
	v := reportView{
		R:       r,
		Started: "—",
		Sum:     res.Delivered + res.Exhausted + res.Rejected + res.Pending,
		Retries: r.Attempts - r.Events,
		Errors:  byCount(r.Errors),
	}
	v.Balanced = v.Sum == r.Events
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format("2006-01-02 15:04:05 MST")
	}
	for code, n := range r.Status {
		if strings.HasPrefix(code, "2") {
			v.OK += n
		}
	}
	if len(r.Thresholds) > 0 {
		v.Verdict = "pass"
		for _, t := range r.Thresholds {
			if !t.Passed {
				v.Verdict = "fail"
			}
		}
	}
	if r.Rate.Target > 0 {
		v.RatePct = fmtNum(100*r.Rate.Achieved/r.Rate.Target) + "% of target"
		v.Short = r.Rate.Achieved < 0.95*r.Rate.Target
	}

	tl := slices.Clone(r.Timeline)
	slices.SortStableFunc(tl, func(a, b Point) int { return cmp.Compare(a.Second, b.Second) })
	v.Latency = latencyChart(tl)
	v.Attempts = attemptsChart(tl)
	v.Percentile = distributionChart(r.Distribution, r.Attempts)
	return v
}

// byCount orders error classes by how often they happened: the commonest is the one to
// fix first.
func byCount(m map[string]int64) []countRow {
	rows := make([]countRow, 0, len(m))
	for k, n := range m {
		rows = append(rows, countRow{Key: k, Count: n})
	}
	slices.SortFunc(rows, func(a, b countRow) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Key, b.Key))
	})
	return rows
}

// chart is one SVG plot with every coordinate already computed and clamped to the
// viewBox, so the template only places elements.
type chart struct {
	ID, Label      string
	W, H           float64
	Plot           box
	XTicks, YTicks []tick
	XTitle, YTitle string
	Lines          []polyline
	Dots           []dot
	Areas          []polyline // Points holds path data
	Hover          []tick     // Pos is the left edge of a column HoverW wide
	HoverW         float64
	Empty          string

	xMax, yMax float64
}

type box struct{ X, Y, W, H, R, B, CX, CY float64 }

type tick struct {
	Pos   float64
	Label string
}

type polyline struct{ Class, Points string }

type dot struct {
	Class string
	X, Y  float64
}

func newChart(id, label string, h float64, xTitle, yTitle string) chart {
	pw, ph := float64(chartW-padL-padR), h-padT-padB
	return chart{
		ID: id, Label: label, W: chartW, H: h, XTitle: xTitle, YTitle: yTitle,
		Plot: box{X: padL, Y: padT, W: pw, H: ph, R: padL + pw, B: padT + ph, CX: padL + pw/2, CY: padT + ph/2},
	}
}

func (c *chart) px(v float64) float64 { return scaleTo(v, c.xMax, c.Plot.X, c.Plot.R) }
func (c *chart) py(v float64) float64 { return scaleTo(v, c.yMax, c.Plot.B, c.Plot.Y) }

// setY picks a 1-2-5 step for about five gridlines and ends the axis on the first tick
// at or above hi, so the top of the plot is always a labelled value.
func (c *chart) setY(hi float64) {
	hi = axisMax(hi)
	step := niceStep(hi, 5)
	c.yMax = math.Ceil(hi/step-1e-9) * step
	// One unit for the whole axis keeps "500" and "1.5k" from sharing it.
	div, unit := 1.0, ""
	switch {
	case c.yMax >= 1e9:
		div, unit = 1e9, "G"
	case c.yMax >= 1e6:
		div, unit = 1e6, "M"
	case c.yMax >= 1e4:
		div, unit = 1e3, "k"
	}
	prec := math.Pow10(max(0, int(-math.Floor(math.Log10(step/div)+1e-9))))
	for i := 0; float64(i)*step <= c.yMax*(1+1e-9); i++ {
		v := float64(i) * step
		label := "0"
		if i > 0 {
			label = strconv.FormatFloat(math.Round(v/div*prec)/prec, 'f', -1, 64) + unit
		}
		c.YTicks = append(c.YTicks, tick{Pos: c.py(v), Label: label})
	}
}

// setSeconds spans the x axis over whole seconds [0, n), with whole-second ticks.
func (c *chart) setSeconds(n int) {
	c.xMax = float64(max(n, 1))
	step := max(1, niceStep(c.xMax, 8))
	for v := 0.0; v <= c.xMax+1e-9; v += step {
		c.XTicks = append(c.XTicks, tick{Pos: c.px(v), Label: fmtInt(int64(v))})
	}
}

// latencyChart draws one line per percentile, breaking the line at seconds in which no
// attempt finished: plotting those as 0 ms would show a stall as the fastest moment.
func latencyChart(tl []Point) chart {
	c := newChart("latency-chart", "Latency percentiles per second", 300, "seconds since start", "latency (ms)")
	top := 0.0
	for _, p := range tl {
		if p.Count > 0 {
			top = max(top, plottable(p.P50), plottable(p.P90), plottable(p.P99), plottable(p.Max))
		}
	}
	c.setSeconds(runSeconds(tl))
	c.setY(top)
	series := []struct {
		class string
		at    func(Point) float64
	}{
		{"max", func(p Point) float64 { return p.Max }},
		{"p99", func(p Point) float64 { return p.P99 }},
		{"p90", func(p Point) float64 { return p.P90 }},
		{"p50", func(p Point) float64 { return p.P50 }},
	}
	for _, s := range series {
		var run []dot
		for _, p := range tl {
			if p.Count <= 0 {
				c.addLine(s.class, run)
				run = run[:0]
				continue
			}
			run = append(run, dot{X: c.px(centre(p)), Y: c.py(s.at(p))})
		}
		c.addLine(s.class, run)
	}
	if len(c.Lines) == 0 {
		c.Empty = "No attempts finished: there is no latency to plot."
	}
	if len(tl) <= maxHover {
		c.HoverW = round1(c.px(1) - c.px(0))
		for _, p := range tl {
			title := fmt.Sprintf("%ss: %s attempts, %s failed; p50 %s ms, p90 %s ms, p99 %s ms, max %s ms",
				fmtInt(int64(p.Second)), fmtInt(p.Count), fmtInt(p.Failed), fmtNum(p.P50), fmtNum(p.P90), fmtNum(p.P99), fmtNum(p.Max))
			c.Hover = append(c.Hover, tick{Pos: round1(c.px(centre(p)) - c.HoverW/2), Label: title})
		}
	}
	return c
}

// attemptsChart stacks each second's failed attempts on its successful ones, so a
// latency spike can be read against the load and the failures that came with it.
func attemptsChart(tl []Point) chart {
	c := newChart("attempts-chart", "Attempts per second, succeeded and failed", 170, "seconds since start", "attempts / s")
	top := 0.0
	for _, p := range tl {
		top = max(top, plottable(float64(p.Count)))
	}
	c.setSeconds(runSeconds(tl))
	c.setY(max(top, 5)) // attempts are whole: no 0.2-attempt gridlines on a quiet run
	if len(tl) == 0 {
		c.Empty = "No attempts."
		return c
	}
	w := c.px(1) - c.px(0)
	gap := 0.0
	if w > 4 {
		gap = w * 0.15
	}
	var ok, failed strings.Builder
	for _, p := range tl {
		x0, x1 := c.px(centre(p))-w/2+gap/2, c.px(centre(p))+w/2-gap/2
		all := plottable(float64(p.Count))
		good := all - plottable(float64(min(max(p.Failed, 0), p.Count)))
		appendRect(&ok, x0, x1, c.py(0), c.py(good))
		top := c.py(all)
		if all > good {
			// A few failures among thousands would round to nothing; any failure shows.
			top = max(c.Plot.Y, min(top, c.py(good)-2))
		}
		appendRect(&failed, x0, x1, c.py(good), top)
	}
	c.Areas = []polyline{{Class: "ok", Points: ok.String()}, {Class: "failed", Points: failed.String()}}
	return c
}

// distributionChart plots latency against percentile with the x axis in "nines"
// (log10 of 1/(1-q)), as HdrHistogram does, so the tail gets as much room as the median.
// The maximum (q = 1) sits at the quantile one sample in n represents.
func distributionChart(qs []Quantile, samples int64) chart {
	c := newChart("distribution-chart", "Latency by percentile", 300, "percentile", "latency (ms)")
	pts := make([]Quantile, 0, len(qs))
	top, last, hasMax := 0.0, 0.0, false
	for _, q := range qs {
		if math.IsNaN(q.Fraction) {
			continue
		}
		q = Quantile{Fraction: math.Min(math.Max(q.Fraction, 0), 1), Ms: plottable(q.Ms)}
		if q.Fraction < 1 {
			last = math.Max(last, nines(q.Fraction))
		}
		hasMax = hasMax || q.Fraction >= 1
		top = math.Max(top, q.Ms)
		pts = append(pts, q)
	}
	slices.SortStableFunc(pts, func(a, b Quantile) int { return cmp.Compare(a.Fraction, b.Fraction) })
	edge, atOne := last, math.Min(math.Max(last, math.Log10(float64(max(samples, 1)))), maxDecades)
	if hasMax {
		edge = atOne
	}
	c.xMax = math.Min(math.Max(2, math.Ceil(edge-1e-9)), maxDecades)
	for d := 0; d <= int(c.xMax); d++ {
		label := strconv.FormatFloat(100-math.Pow(10, 2-float64(d)), 'f', max(0, d-2), 64) + "%"
		c.XTicks = append(c.XTicks, tick{Pos: c.px(float64(d)), Label: label})
	}
	c.setY(top)
	if len(pts) == 0 {
		c.Empty = "No latency samples."
		return c
	}
	xy := make([]dot, len(pts))
	for i, q := range pts {
		x := atOne
		if q.Fraction < 1 {
			x = nines(q.Fraction)
		}
		xy[i] = dot{X: c.px(x), Y: c.py(q.Ms)}
	}
	c.addLine("dist", xy)
	return c
}

// addLine adds pts as one polyline; a lone point also gets a dot, since a one-point
// polyline draws nothing.
func (c *chart) addLine(class string, pts []dot) {
	if len(pts) == 0 {
		return
	}
	xy := make([]string, len(pts))
	for i, p := range pts {
		xy[i] = coord(p.X) + "," + coord(p.Y)
	}
	c.Lines = append(c.Lines, polyline{Class: class, Points: strings.Join(xy, " ")})
	if len(pts) == 1 {
		c.Dots = append(c.Dots, dot{Class: class, X: pts[0].X, Y: pts[0].Y})
	}
}

// nines is how many nines q has: 0.9 → 1, 0.999 → 3; capped where the chart ends.
func nines(q float64) float64 {
	if q >= 1 {
		return maxDecades
	}
	return math.Min(-math.Log10(1-q), maxDecades)
}

// niceStep is the 1, 2 or 5 × 10^k step that cuts [0, hi] into about n intervals.
func niceStep(hi float64, n int) float64 {
	raw := axisMax(hi) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f <= 1:
		return mag
	case f <= 2:
		return 2 * mag
	case f <= 5:
		return 5 * mag
	}
	return 10 * mag
}

// axisMax is where an axis for data up to hi ends before rounding to a tick; all-zero
// data (or sub-nanosecond noise) still gets a readable 0 to 1 axis.
func axisMax(hi float64) float64 {
	if hi = plottable(hi); hi < 1e-6 {
		return 1
	}
	return hi
}

// scaleTo maps v in [0, hi] onto [from, to], clamped so no value can leave the plot.
func scaleTo(v, hi, from, to float64) float64 {
	if !(hi > 0) {
		return round1(from)
	}
	return round1(from + math.Min(math.Max(plottable(v)/hi, 0), 1)*(to-from))
}

// plottable makes any value fit a chart: NaN and negatives become 0, +Inf and absurdly large
// values the ceiling.
func plottable(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return math.Min(v, maxValue)
}

func appendRect(b *strings.Builder, x0, x1, y0, y1 float64) {
	if y0 == y1 {
		return
	}
	fmt.Fprintf(b, "M%s %sL%s %sL%s %sL%s %sZ", coord(x0), coord(y0), coord(x1), coord(y0), coord(x1), coord(y1), coord(x0), coord(y1))
}

func runSeconds(tl []Point) int {
	if len(tl) == 0 {
		return 1
	}
	return max(tl[len(tl)-1].Second, 0) + 1
}

func centre(p Point) float64   { return float64(max(p.Second, 0)) + 0.5 }
func round1(v float64) float64 { return math.Round(v*10) / 10 }
func coord(v float64) string   { return strconv.FormatFloat(round1(v), 'f', -1, 64) }

// fmtInt groups digits with commas so 12345678 reads at a glance.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fmtNum shows a measurement with the precision that matters at its size: 0.0123, 1.23,
// 12.3, 1,234.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case a >= 1e15:
		return strconv.FormatFloat(v, 'e', 3, 64)
	case v == math.Trunc(v) || a >= 100:
		return fmtInt(int64(math.Round(v)))
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// fmtSecs shows a duration in seconds, as minutes and seconds once it is long enough that
// "754 s" would need arithmetic.
func fmtSecs(v float64) string {
	if v >= 0 && v < 60 {
		return strconv.FormatFloat(v, 'f', 2, 64) + " s" // 4e-05 s of drain reads as 0.00 s
	}
	if !(v >= 60) || v > 1e9 {
		return fmtNum(v) + " s"
	}
	d := int64(math.Round(v))
	if d >= 3600 {
		return fmt.Sprintf("%dh %02dm %02ds", d/3600, d/60%60, d%60)
	}
	return fmt.Sprintf("%dm %02ds", d/60, d%60)
}

// fmtPct is part as a share of whole, never rounded to 0% or 100% when it is not, so a
// rare failure cannot read as none.
func fmtPct(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	p := 100 * float64(part) / float64(whole)
	switch {
	case part == 0 || part == whole:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	case p < 0.1:
		return "<0.1%"
	case p > 99.9 && part < whole:
		return ">99.9%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}
