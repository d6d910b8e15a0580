package load

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WriteText writes the report as the short human summary `clickcheck load` prints.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "clickcheck load: %s against %s\n", r.Profile, r.Target)
	if r.Rate.Target > 0 {
		fmt.Fprintf(&b, "  rate         target %s/s, achieved %s/s", figure(r.Rate.Target), figure(r.Rate.Achieved))
	} else {
		fmt.Fprintf(&b, "  rate         achieved %s/s (as fast as possible)", figure(r.Rate.Achieved))
	}
	fmt.Fprintf(&b, "; throughput %s/s acknowledged\n", figure(r.Throughput))
	fmt.Fprintf(&b, "  duration     %.2fs attack + %.2fs drain; %d connections, seed %d, time scale %g\n",
		r.Duration, r.Drain, r.Connections, r.Seed, r.TimeScale)
	res := r.Results
	fmt.Fprintf(&b, "  events       %d = %d delivered + %d exhausted + %d rejected + %d pending\n",
		r.Events, res.Delivered, res.Exhausted, res.Rejected, res.Pending)
	if r.Missed > 0 {
		fmt.Fprintf(&b, "  missed       %d events were due but never sent: the sender fell behind the profile\n", r.Missed)
	}
	if r.Interrupted {
		b.WriteString("  interrupted  the run was stopped before its duration ran out\n")
	}
	fmt.Fprintf(&b, "  attempts     %d: %s\n", r.Attempts, counts(r.Status, r.Errors))
	l := r.LatencyMs
	from := "from each attempt's intended send time"
	if r.Rate.Target == 0 {
		from = "first attempts from their send, as fast as possible; retries from their due time"
	}
	fmt.Fprintf(&b, "  latency ms   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%s)\n",
		figure(l.P50), figure(l.P90), figure(l.P99), figure(l.P999), figure(l.Max), from)
	for _, t := range r.Thresholds {
		verdict := "ok"
		if !t.Passed {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "  threshold    %s %s (limit %s): %s\n", t.Name, figure(t.Actual), figure(t.Limit), verdict)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// counts lists status codes then error classes, most frequent first: "200×9980, 503×20".
func counts(status, errs map[string]int64) string {
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for k, n := range status {
		all = append(all, kv{k, n})
	}
	for k, n := range errs {
		all = append(all, kv{k, n})
	}
	if len(all) == 0 {
		return "none"
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	parts := make([]string, len(all))
	for i, c := range all {
		parts[i] = c.k + "×" + strconv.FormatInt(c.n, 10)
	}
	return strings.Join(parts, ", ")
}

// figure formats a figure with three significant digits, enough to read and compare.
func figure(f float64) string {
	switch {
	case f == 0:
		return "0"
	case f >= 1000:
		return strconv.FormatFloat(f, 'f', 0, 64)
	default:
		return strconv.FormatFloat(f, 'g', 3, 64)
	}
}
