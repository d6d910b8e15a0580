package suites

import (
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// Latency load: at least 200 valid events, 8 at a time.
const (
	latencyEvents      = 200
	latencyConcurrency = 8
)

// LatencyStats are the ack latencies the latency check measured.
type LatencyStats struct {
	Events             int
	P50, P95, P99, Max time.Duration
	// Budget is the p99 the receiver had to keep.
	Budget time.Duration
	// OverBudget counts acks slower than Budget; NotAcked counts attempts without a 2XX.
	OverBudget, NotAcked int
}

// String is the one-line summary verify prints.
func (s LatencyStats) String() string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d, p99 budget %s)",
		round(s.P50), round(s.P95), round(s.P99), round(s.Max), s.Events, s.Budget)
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// latency: 8x8 waits for each ack; a slow tail turns into timeouts and retries.
func (r *suiteRun) latency() {
	Describe("keeps its ack latency", Label(AreaLatency), func() {
		It(fmt.Sprintf("acks %d events at concurrency %d with p99 within the budget and none over the sender timeout", latencyEvents, latencyConcurrency), func(ctx SpecContext) {
			r.answering()
			hist := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
			var mu sync.Mutex
			var failures []string
			stats := LatencyStats{Budget: r.t.LatencyP99}
			// More than 1% over budget already decides p99: stop, rather than load a slow receiver.
			maxOver := latencyEvents / 100
			work := make(chan mock8x8.Event)
			stop := make(chan struct{})
			var once sync.Once
			var wg sync.WaitGroup
			for range latencyConcurrency {
				wg.Go(func() {
					for ev := range work {
						o := r.client.send(ctx, ev)
						mu.Lock()
						stats.Events++
						_ = hist.RecordValue(max(1, o.Duration().Microseconds()))
						switch {
						case !is2XX(o):
							stats.NotAcked++
							if len(failures) < 3 {
								failures = append(failures, fmt.Sprintf("%s → %s", ev.ID, answer(o)))
							}
							once.Do(func() { close(stop) })
						case o.Duration() > r.t.LatencyP99:
							stats.OverBudget++
							if stats.OverBudget > maxOver {
								once.Do(func() { close(stop) })
							}
						}
						mu.Unlock()
					}
				})
			}
		feed:
			for range latencyEvents {
				select {
				case work <- r.event():
				case <-stop:
					break feed
				case <-ctx.Done():
					break feed
				}
			}
			close(work)
			wg.Wait()
			stats.P50 = time.Duration(hist.ValueAtQuantile(50)) * time.Microsecond
			stats.P95 = time.Duration(hist.ValueAtQuantile(95)) * time.Microsecond
			stats.P99 = time.Duration(hist.ValueAtQuantile(99)) * time.Microsecond
			stats.Max = time.Duration(hist.Max()) * time.Microsecond
			AddReportEntry(latencyEntry, ReportEntryVisibilityFailureOrVerbose, stats)
			switch {
			case stats.NotAcked > 0:
				Fail(fmt.Sprintf("ack latency: %d of %d events were not acked with a 2XX within the sender timeout %s (stopped sending)\n  e.g. %v\n  why it matters: %s",
					stats.NotAcked, stats.Events, r.t.Timeout, failures, "8x8 counts a late or missing ack as a failure and retries the event; a backlog of retries makes the next burst slower still"))
			case stats.OverBudget > maxOver:
				Fail(fmt.Sprintf("ack latency: %d of %d acks took longer than the p99 budget %s, so p99 is over it (%s)\n  why it matters: %s",
					stats.OverBudget, stats.Events, r.t.LatencyP99, stats, "a slow tail under a click burst turns into 8x8 timeouts and retries; ack first, process later"))
			case stats.Events < latencyEvents:
				Fail(fmt.Sprintf("ack latency: only %d of %d events were sent before the spec ended", stats.Events, latencyEvents))
			}
		}, r.specTimeout(4))
	})
}

// latencyEntry names the report entry holding LatencyStats.
const latencyEntry = "latency"
