package suites

import (
	"fmt"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// No-loss load: 1,000 distinct events, 32 at a time.
const (
	noLossEvents      = 1000
	noLossConcurrency = 32
	noLossMaxFailures = 10 // enough to decide; stop loading a failing receiver
	// noLossBudget bounds the load: a receiver that cannot take 1,000 events in 30 s (an
	// ack in about a second, 32 at a time) fails here, saying so, well within the spec's
	// timeout and the run's 5 minutes.
	noLossBudget = 30 * time.Second
	// noLossSettle is how long the applied counts may take to settle after the load.
	noLossSettle = 10 * time.Second
)

// noLoss: every acked event must be applied exactly once, also under concurrency.
func (r *suiteRun) noLoss() {
	Describe("loses nothing under concurrency", Label(AreaNoLoss), func() {
		It(fmt.Sprintf("acks %d distinct events at concurrency %d and applies every one exactly once", noLossEvents, noLossConcurrency), func(ctx SpecContext) {
			r.needObserver("whether every acked event was applied")
			r.answering()
			var mu sync.Mutex
			var acked []string
			var failures []string
			work := make(chan mock8x8.Event)
			var wg sync.WaitGroup
			for range noLossConcurrency {
				wg.Go(func() {
					for ev := range work {
						o := r.client.send(ctx, ev)
						mu.Lock()
						if is2XX(o) {
							acked = append(acked, ev.ID)
						} else {
							failures = append(failures, fmt.Sprintf("%s → %s", ev.ID, answer(o)))
						}
						mu.Unlock()
					}
				})
			}
			sentN := 0
			began := time.Now()
			tooSlow := false
			for range noLossEvents {
				mu.Lock()
				enough := len(failures) >= noLossMaxFailures
				mu.Unlock()
				if tooSlow = time.Since(began) > noLossBudget; tooSlow || enough || ctx.Err() != nil || r.client.silence() != "" {
					break
				}
				work <- r.event()
				sentN++
			}
			close(work)
			wg.Wait()
			if tooSlow {
				Fail(fmt.Sprintf("only %d of %d events were sent in %s at concurrency %d (%.0f events/s); stopped\n  why it matters: %s",
					sentN, noLossEvents, noLossBudget, noLossConcurrency, float64(sentN)/time.Since(began).Seconds(),
					"an SMS campaign's clicks arrive in bursts; a receiver this slow falls behind, times out and is retried"))
			}
			if len(failures) > 0 {
				Fail(fmt.Sprintf("%d of %d events (of %d sent at concurrency %d) were not acked with a 2XX, e.g. %v\n  why it matters: %s",
					len(failures), sentN, noLossEvents, noLossConcurrency, failures[:min(3, len(failures))],
					"every unacked event is retried by 8x8 and dropped after its fifth attempt"))
			}
			counts, err := settleAll(ctx, r.observer, acked, 1, noLossSettle, 200*time.Millisecond)
			if err != nil {
				Fail(fmt.Sprintf("could not observe the %d acked events: %v", len(acked), err))
			}
			var lost, doubled []string
			for _, id := range acked {
				switch n := counts[id]; {
				case n == 0:
					lost = append(lost, id)
				case n > 1:
					doubled = append(doubled, fmt.Sprintf("%s×%d", id, n))
				}
			}
			sort.Strings(lost)
			if len(lost)+len(doubled) > 0 {
				Fail(fmt.Sprintf("%d acked events: %d never applied, %d applied more than once (observed with %s)\n  lost e.g. %v\n  doubled e.g. %v\n  why it matters: %s",
					len(acked), len(lost), len(doubled), r.observer.Describe(), lost[:min(5, len(lost))], doubled[:min(5, len(doubled))],
					"8x8 will not resend an acked event: a click acked but not applied is lost for good"))
			}
			AddReportEntry("no-loss", ReportEntryVisibilityFailureOrVerbose, fmt.Sprintf("%d events acked and applied exactly once", len(acked)))
		}, SpecTimeout(noLossBudget+noLossSettle+2*r.unit+5*time.Second)) // the load, the attempts in flight, the settling
	})
}
