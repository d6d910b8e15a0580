package suites

import (
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// concurrentDuplicates is how many copies of one event arrive at the same instant.
const concurrentDuplicates = 16

// idempotency: 8x8 delivers at least once, so duplicates must be acked and ignored.
func (r *suiteRun) idempotency() {
	Describe("stays idempotent under duplicate deliveries", Label(AreaIdempotency), func() {
		It("acks the same event delivered twice in a row, and applies it once", func(ctx SpecContext) {
			ev := r.event()
			r.deliver(ctx, ev, "the first delivery of an event")
			r.deliver(ctx, ev, "the same event again (a duplicate must be acked, not refused: a 409 or any 4XX makes 8x8 retry it 4 times)")
			r.applied(ctx, ev.ID, 1, "an event delivered twice")
		}, r.specTimeout(3))

		It(fmt.Sprintf("acks the same event %d times at the same instant, and applies it once", concurrentDuplicates), func(ctx SpecContext) {
			ev := r.event()
			r.answering()
			outcomes := make([]mock8x8.Outcome, concurrentDuplicates)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range outcomes {
				wg.Go(func() {
					<-start
					outcomes[i] = r.client.send(ctx, ev)
				})
			}
			close(start)
			wg.Wait()
			var bad []string
			for i, o := range outcomes {
				if !is2XX(o) {
					bad = append(bad, fmt.Sprintf("copy %d: %s", i+1, answer(o)))
				}
			}
			if len(bad) > 0 {
				Fail(fmt.Sprintf("%d concurrent copies of one event: %d not acked with a 2XX\n  sent: %s\n  got:  %s\n  why it matters: "+
					"8x8 retries overlap with slow first attempts, so copies of one event can arrive together; "+
					"a receiver whose dedupe races (check-then-insert) refuses or double-applies them",
					concurrentDuplicates, len(bad), sent(ev), strings.Join(bad, "; ")))
			}
			r.applied(ctx, ev.ID, 1, fmt.Sprintf("an event delivered %d times at once", concurrentDuplicates))
		}, r.specTimeout(3))

		It("acks an event redelivered after a lost ack, on 8x8's scaled schedule, and applies it once", func(ctx SpecContext) {
			ev := r.event()
			r.answering()
			_ = r.client.send(ctx, ev) // the answer is lost on the way back to 8x8
			wait, _ := mock8x8.DefaultSchedule().Scaled(r.t.TimeScale).Delay(1)
			time.Sleep(wait)
			r.deliver(ctx, ev, fmt.Sprintf("the redelivery of an event whose ack was lost (%s after the first delivery)", wait))
			r.applied(ctx, ev.ID, 1, "an event redelivered after a lost ack")
		}, r.specTimeout(3))

		It("applies two clicks of one SMS link (same umid and shortUrl, different eventIds) both", func(ctx SpecContext) {
			first := r.click()
			second := first
			second.EventID = r.click().EventID
			second.OccurredAt = first.OccurredAt.Add(40 * time.Second)
			r.deliver(ctx, first.Event(), "the first click on a link")
			r.deliver(ctx, second.Event(), "a repeat click on the same link (a new eventId with the same umid and shortUrl)")
			r.applied(ctx, first.EventID, 1, "the first of two clicks on one link")
			r.applied(ctx, second.EventID, 1, "a repeat click on one link (dedupe on eventId, not on umid or shortUrl)")
		}, r.specTimeout(3))
	})
}
