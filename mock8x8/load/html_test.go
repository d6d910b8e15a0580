package load

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// sampleReport is a 60-second constant run against a receiver that slows down in the
// middle and fails a few attempts, with 1,000 events per second.
func sampleReport() *Report {
	r := &Report{
		Target:      "https://hooks.example.com/8x8/clicks",
		Profile:     "constant 1000/s",
		Seed:        424242,
		Connections: 64,
		TimeScale:   0.01,
		StartedAt:   time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		Rate:        Rate{Target: 1000, Achieved: 998.4},
		Duration:    60.1,
		Drain:       4.2,
		Events:      59904,
		Missed:      96,
		Attempts:    60211,
		Throughput:  993.7,
		Results:     Results{Delivered: 59811, Exhausted: 41, Rejected: 12, Pending: 40},
		Status:      map[string]int64{"200": 59893, "503": 211, "302": 12},
		Errors:      map[string]int64{"timeout": 83, "refused": 12},
		LatencyMs:   Latency{P50: 4.1, P90: 9.8, P99: 48.5, P999: 310, Max: 1203.5, Mean: 6.3, Min: 0.42},
		Thresholds: []Threshold{
			{Name: "max-p99", Limit: 100, Actual: 48.5, Passed: true},
			{Name: "max-error-rate", Limit: 0.001, Actual: 0.0053, Passed: false},
		},
	}
	for s := range 60 {
		slow := 1.0
		if s >= 30 && s < 35 {
			slow = 8
		}
		r.Timeline = append(r.Timeline, Point{
			Second: s, Count: 1000 + int64(s%7), Failed: int64(s % 5),
			P50: 4 * slow, P90: 9.5 * slow, P99: 45 * slow, Max: 120 * slow,
		})
	}
	for _, q := range []struct{ f, ms float64 }{
		{0, 0.42}, {0.25, 2.9}, {0.5, 4.1}, {0.75, 6.2}, {0.9, 9.8}, {0.95, 15}, {0.99, 48.5},
		{0.995, 90}, {0.999, 310}, {0.9999, 880}, {1, 1203.5},
	} {
		r.Distribution = append(r.Distribution, Quantile{Fraction: q.f, Ms: q.ms})
	}
	return r
}

func renderHTML(t *testing.T, r *Report) (*html.Node, string) {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("parsing the report: %v", err)
	}
	return doc, b.String()
}

func TestWriteHTML_WellFormed(t *testing.T) {
	t.Parallel()
	_, out := renderHTML(t, sampleReport())
	if !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Errorf("report starts %q, want a doctype", out[:min(len(out), 40)])
	}
	// html.Parse repairs anything, so check nesting on the raw tokens: every element
	// opened is closed, in order.
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "link": true, "input": true}
	var stack []string
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		name, _ := z.TagName()
		switch tag := string(name); tt {
		case html.StartTagToken:
			if !void[tag] {
				stack = append(stack, tag)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tag {
				t.Fatalf("</%s> closes %v", tag, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("elements left open: %v", stack)
	}
}

func TestWriteHTML_Charts(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	doc, _ := renderHTML(t, r)
	for _, id := range []string{"latency-chart", "attempts-chart", "distribution-chart"} {
		svg := byID(doc, id)
		if svg == nil || svg.Data != "svg" {
			t.Fatalf("no <svg id=%q>", id)
		}
		checkGeometry(t, svg)
	}

	lat := byID(doc, "latency-chart")
	for _, class := range []string{"p50", "p90", "p99", "max"} {
		lines := elements(lat, func(n *html.Node) bool { return n.Data == "polyline" && attrOf(n, "class") == class })
		if len(lines) != 1 {
			t.Fatalf("latency chart has %d %s lines, want 1", len(lines), class)
		}
		xs, _ := coords(t, attrOf(lines[0], "points"))
		if len(xs) != len(r.Timeline) {
			t.Errorf("%s line has %d points, want one per second (%d)", class, len(xs), len(r.Timeline))
		}
		for i := 1; i < len(xs); i++ {
			if xs[i] <= xs[i-1] {
				t.Fatalf("%s line goes back in time at point %d: x %v after %v", class, i, xs[i], xs[i-1])
			}
		}
	}
	// The slow seconds 30-34 must plot higher (smaller y) than the seconds around them.
	p99 := elements(lat, func(n *html.Node) bool { return attrOf(n, "class") == "p99" })[0]
	_, ys := coords(t, attrOf(p99, "points"))
	if !(ys[32] < ys[10]) {
		t.Errorf("p99 at the stall (y=%v) is not above p99 before it (y=%v)", ys[32], ys[10])
	}
	if got := len(elements(lat, func(n *html.Node) bool { return n.Data == "title" })); got != len(r.Timeline) {
		t.Errorf("latency chart has %d per-second tooltips, want %d", got, len(r.Timeline))
	}

	bars := elements(byID(doc, "attempts-chart"), func(n *html.Node) bool { return n.Data == "path" && attrOf(n, "class") == "failed" })
	if len(bars) != 1 || strings.Count(attrOf(bars[0], "d"), "M") != 48 { // seconds with s%5 != 0
		t.Errorf("failed bars: want one path with 48 bars, got %d paths", len(bars))
	}

	dist := byID(doc, "distribution-chart")
	lines := elements(dist, func(n *html.Node) bool { return n.Data == "polyline" })
	if len(lines) != 1 {
		t.Fatalf("distribution chart has %d lines, want 1", len(lines))
	}
	xs, ys := coords(t, attrOf(lines[0], "points"))
	if len(xs) != len(r.Distribution) {
		t.Errorf("distribution line has %d points, want %d", len(xs), len(r.Distribution))
	}
	for i := 1; i < len(xs); i++ {
		if xs[i] < xs[i-1] || ys[i] > ys[i-1] {
			t.Errorf("distribution point %d (%v,%v) is left of or below point %d (%v,%v)", i, xs[i], ys[i], i-1, xs[i-1], ys[i-1])
		}
	}
	// 60,211 attempts put the maximum between 99.99% and 99.999%.
	want := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	if got := tickLabels(dist, "middle"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("distribution x ticks = %q, want %q", got, want)
	}
}

func TestWriteHTML_NiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		max  float64
		want string
	}{
		{960, "0 200 400 600 800 1000"}, // the sample's worst second
		{1, "0 0.2 0.4 0.6 0.8 1"},      // all-fast receiver
		{0, "0 0.2 0.4 0.6 0.8 1"},      // nothing measured still gets an axis
		{37, "0 10 20 30 40"},           // rounds up to the next tick
		{12000, "0 5k 10k 15k"},         // one unit for the whole axis
		{3.4e9, "0 1G 2G 3G 4G"},        // still no overflow
	}
	for _, tt := range tests {
		r := &Report{Timeline: []Point{{Second: 0, Count: 1, P50: tt.max, P90: tt.max, P99: tt.max, Max: tt.max}}}
		doc, _ := renderHTML(t, r)
		got := strings.Join(tickLabels(byID(doc, "latency-chart"), "end"), " ")
		if got != tt.want {
			t.Errorf("max %v: y ticks %q, want %q", tt.max, got, tt.want)
		}
	}
}

func TestWriteHTML_ZeroCountSecondBreaksLines(t *testing.T) {
	t.Parallel()
	// Second 1 had no attempt finish: it has no latency, and drawing it as 0 ms would
	// show the stall as the fastest moment of the run.
	r := &Report{Timeline: []Point{
		{Second: 0, Count: 10, P50: 5, P90: 6, P99: 7, Max: 8},
		{Second: 1},
		{Second: 2, Count: 10, P50: 900, P90: 950, P99: 990, Max: 1000},
		{Second: 3, Count: 10, P50: 5, P90: 6, P99: 7, Max: 8},
	}}
	doc, _ := renderHTML(t, r)
	lat := byID(doc, "latency-chart")
	lines := elements(lat, func(n *html.Node) bool { return n.Data == "polyline" && attrOf(n, "class") == "p50" })
	if len(lines) != 2 {
		t.Fatalf("p50 is drawn as %d lines, want 2 (broken at second 1)", len(lines))
	}
	dots := elements(lat, func(n *html.Node) bool { return n.Data == "circle" && attrOf(n, "class") == "p50" })
	if len(dots) != 1 {
		t.Errorf("the lone second before the gap has %d dots, want 1 so it stays visible", len(dots))
	}
}

func TestWriteHTML_Offline(t *testing.T) {
	t.Parallel()
	doc, _ := renderHTML(t, sampleReport())
	for _, n := range elements(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "link", "iframe", "img", "object", "embed", "video", "audio", "source":
			t.Errorf("report has a <%s> element", n.Data)
		case "style":
			if css := textOf(n); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
				t.Errorf("the style sheet loads something: %q", css)
			}
		}
		for _, a := range n.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			external := strings.Contains(v, "://") || strings.HasPrefix(v, "//") || strings.Contains(v, "url(")
			inPage := a.Key == "href" && strings.HasPrefix(v, "#")
			if a.Key == "href" && !inPage || a.Key == "src" || external {
				t.Errorf("<%s %s=%q> refers to something outside the file", n.Data, a.Key, a.Val)
			}
		}
	}
}

func TestWriteHTML_Accounting(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	doc, _ := renderHTML(t, r)
	for id, want := range map[string]string{
		"events": "59,904", "delivered": "59,811", "exhausted": "41", "rejected": "12", "pending": "40",
		"sum": "59,904", "attempts": "60,211", "missed": "96",
	} {
		if n := byID(doc, id); n == nil || strings.TrimSpace(textOf(n)) != want {
			t.Errorf("#%s = %q, want %q", id, textOf(n), want)
		}
	}
	page := strings.Join(strings.Fields(textOf(doc)), " ")
	for _, want := range []string{
		"= events ✓", "1,000/s", "998/s", "99.8% of target", "994/s", "1m 00s", "4.20 s",
		"p99 48.5", "p99.9 310", "max 1,204", "mean 6.30", "min 0.42",
		"200 59,893", "503 211", "302 12", "timeout 83", "refused 12",
		"--max-p99 100 48.5 pass", "--max-error-rate 0.001 0.0053 FAIL", "FAIL",
		"https://hooks.example.com/8x8/clicks", "constant 1000/s", "424242", "Connections 64",
		"0.01×", "2025-03-14 09:26:53 UTC", "96 events the profile asked for were never sent",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
}

func TestWriteHTML_Unbalanced(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Results.Pending = 0 // 40 events vanish
	doc, _ := renderHTML(t, r)
	page := textOf(doc)
	if !strings.Contains(page, "≠ events ✗") || !strings.Contains(page, "does not balance") {
		t.Error("an accounting that does not add up is not flagged")
	}
}

func TestWriteHTML_EdgeCases(t *testing.T) {
	t.Parallel()
	huge := sampleReport()
	for i := range huge.Timeline {
		huge.Timeline[i].Max = math.Inf(1)
		huge.Timeline[i].P99 = 1e300
		huge.Timeline[i].P50 = math.NaN()
		huge.Timeline[i].Count = math.MaxInt64
	}
	huge.Distribution = append(huge.Distribution, Quantile{Fraction: math.NaN(), Ms: 1}, Quantile{Fraction: 2, Ms: math.Inf(1)})
	huge.LatencyMs.Max = math.Inf(1)
	huge.Throughput = math.NaN()
	tests := []struct {
		name string
		r    *Report
	}{
		{"empty", &Report{}},
		{"one second", &Report{
			Events: 1, Attempts: 1, Results: Results{Delivered: 1},
			Timeline:     []Point{{Second: 0, Count: 1, P50: 3, P90: 3, P99: 3, Max: 3}},
			Distribution: []Quantile{{Fraction: 1, Ms: 3}},
		}},
		{"zero latency", &Report{
			Events: 2, Attempts: 2, Results: Results{Delivered: 2},
			Timeline:     []Point{{Second: 0, Count: 1}, {Second: 1, Count: 1}},
			Distribution: []Quantile{{Fraction: 0.5}, {Fraction: 1}},
		}},
		{"late start, negative second", &Report{Timeline: []Point{{Second: 5, Count: 1, P50: 1}, {Second: -1, Count: 1, P50: 2}}}},
		{"huge and non-finite", huge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, out := renderHTML(t, tt.r)
			if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Errorf("report contains NaN or Inf")
			}
			for _, id := range []string{"latency-chart", "attempts-chart", "distribution-chart"} {
				svg := byID(doc, id)
				if svg == nil {
					t.Fatalf("no #%s", id)
				}
				checkGeometry(t, svg)
			}
		})
	}
}

func TestWriteHTML_Escapes(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Target = `https://hooks.example.com/?a=1&b=<script>alert("x")</script>`
	r.Profile = `<b onmouseover='alert(1)'>ramp</b> & "spike"`
	r.Errors = map[string]int64{"<img src=x>": 3}
	r.Thresholds[0].Name = `"><svg onload=alert(1)>`
	doc, out := renderHTML(t, r)
	if strings.Contains(out, "<script>") || strings.Contains(out, "<b ") || strings.Contains(out, "<img") {
		t.Fatal("a report value was written as markup")
	}
	for _, n := range elements(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> got an event handler %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	page := textOf(doc)
	for _, want := range []string{r.Target, r.Profile, "<img src=x>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the text %q is not shown as written", want)
		}
	}
}

func TestWriteHTML_WriteError(t *testing.T) {
	t.Parallel()
	broken := errors.New("disk full")
	if err := sampleReport().WriteHTML(failingWriter{broken}); !errors.Is(err, broken) {
		t.Errorf("WriteHTML to a failing writer = %v, want it to wrap %v", err, broken)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// checkGeometry fails unless every coordinate in svg is a finite number inside its viewBox.
func checkGeometry(t *testing.T, svg *html.Node) {
	t.Helper()
	vb := strings.Fields(attrOf(svg, "viewBox"))
	if len(vb) != 4 {
		t.Fatalf("#%s viewBox = %q", attrOf(svg, "id"), attrOf(svg, "viewBox"))
	}
	w, h := finite(t, vb[2]), finite(t, vb[3])
	inside := func(what string, x, y float64) {
		if x < 0 || x > w || y < 0 || y > h {
			t.Errorf("#%s: %s (%v,%v) is outside the %vx%v viewBox", attrOf(svg, "id"), what, x, y, w, h)
		}
	}
	for _, n := range elements(svg, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "polyline":
			xs, ys := coords(t, attrOf(n, "points"))
			for i := range xs {
				inside("polyline point", xs[i], ys[i])
			}
		case "path":
			xs, ys := coords(t, strings.NewReplacer("M", " ", "L", " ", "Z", " ").Replace(attrOf(n, "d")))
			for i := range xs {
				inside("path point", xs[i], ys[i])
			}
		case "circle":
			inside("circle", finite(t, attrOf(n, "cx")), finite(t, attrOf(n, "cy")))
		case "line":
			inside("line start", finite(t, attrOf(n, "x1")), finite(t, attrOf(n, "y1")))
			inside("line end", finite(t, attrOf(n, "x2")), finite(t, attrOf(n, "y2")))
		case "rect":
			x, y := finite(t, attrOf(n, "x")), finite(t, attrOf(n, "y"))
			inside("rect", x, y)
			inside("rect corner", x+finite(t, attrOf(n, "width")), y+finite(t, attrOf(n, "height")))
		case "text":
			if attrOf(n, "x") != "" {
				inside("text", finite(t, attrOf(n, "x")), finite(t, attrOf(n, "y")))
			}
		}
	}
}

// coords reads "x,y x,y" or "x y x y" into coordinates.
func coords(t *testing.T, s string) (xs, ys []float64) {
	t.Helper()
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(f)%2 != 0 {
		t.Fatalf("odd number of coordinates in %q", s)
	}
	for i := 0; i < len(f); i += 2 {
		xs, ys = append(xs, finite(t, f[i])), append(ys, finite(t, f[i+1]))
	}
	return xs, ys
}

func finite(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("coordinate %q is not a finite number", s)
	}
	return v
}

// tickLabels are a chart's axis labels: anchor "end" for y, "middle" for x (less the axis title).
func tickLabels(svg *html.Node, anchor string) []string {
	var out []string
	for _, n := range elements(svg, func(n *html.Node) bool {
		return n.Data == "text" && attrOf(n, "text-anchor") == anchor && attrOf(n, "class") == ""
	}) {
		out = append(out, strings.TrimSpace(textOf(n)))
	}
	return out
}

func elements(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func byID(root *html.Node, id string) *html.Node {
	if n := elements(root, func(n *html.Node) bool { return attrOf(n, "id") == id }); len(n) > 0 {
		return n[0]
	}
	return nil
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return b.String()
}
