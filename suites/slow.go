package suites

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// slow: real-time checks, excluded by default (select them with --label-filter slow).
func (r *suiteRun) slow() {
	horizon := mock8x8.DefaultSchedule().Horizon(r.unit)
	Describe("remembers events for 8x8's whole retry horizon", Label(AreaSlow), func() {
		It(fmt.Sprintf("recognises a duplicate delivered %s (the real retry horizon) after the first delivery", horizon), func(ctx SpecContext) {
			// Both deliveries are acked whether the receiver remembers the event or not:
			// only the observer can tell, so do not wait the horizon without one.
			r.needObserver("whether the late duplicate was applied again")
			ev := r.event()
			r.deliver(ctx, ev, "the first delivery")
			select {
			case <-time.After(horizon):
			case <-ctx.Done():
				return
			}
			r.deliver(ctx, ev, fmt.Sprintf("the same event %s later, as 8x8's last retry can arrive", horizon))
			r.applied(ctx, ev.ID, 1, "an event delivered again after the full retry horizon (a dedupe window shorter than 8x8's retries double counts it)")
		}, SpecTimeout(horizon+4*r.unit+10*time.Second))
	})
}
