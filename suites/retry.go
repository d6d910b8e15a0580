package suites

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// lateAnswer carries requests to the receiver but, on the first one, throws the answer
// away and reports a timeout: the receiver did its work, 8x8 did not hear back in time.
type lateAnswer struct {
	next  http.RoundTripper
	calls atomic.Int32
}

// errTooLate is what the sender sees instead of the receiver's first answer.
type errTooLate struct{}

func (errTooLate) Error() string   { return "the answer arrived after the sender's timeout" }
func (errTooLate) Timeout() bool   { return true }
func (errTooLate) Temporary() bool { return true }

func (l *lateAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if l.calls.Add(1) > 1 || err != nil {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, mock8x8.MaxResponseBody))
	resp.Body.Close()
	return nil, errTooLate{}
}

// retry: an attempt 8x8 counts as timed out is retried on schedule and must be
// recognised as a duplicate.
func (r *suiteRun) retry() {
	Describe("handles 8x8's retries", Label(AreaRetry), func() {
		It("acks the retry of an event whose first answer came too late, on the scaled schedule, and applies it once", func(ctx SpecContext) {
			r.answering()
			transport := &lateAnswer{next: mock8x8.NewTransport(r.t.Timeout)}
			sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: r.t.URL, Timeout: r.t.Timeout, Authorization: r.t.Auth, Transport: transport})
			if err != nil {
				Fail(err.Error())
			}
			var mu sync.Mutex
			var attempts []mock8x8.Attempt
			journal := mock8x8.NewJournal(mock8x8.RecorderFunc(func(a mock8x8.Attempt) {
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
			}))
			sched := mock8x8.DefaultSchedule().Scaled(r.t.TimeScale)
			eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{Schedule: sched, Concurrency: 1, Journal: journal})
			if err != nil {
				Fail(err.Error())
			}
			defer eng.Close()
			ev := r.event()
			_ = eng.Submit(ev)
			wctx, cancel := context.WithTimeout(ctx, sched.Horizon(r.t.Timeout)+r.t.Timeout)
			defer cancel()
			if err := eng.Wait(wctx); err != nil {
				Fail(fmt.Sprintf("the retries of event %s did not finish within the schedule's horizon: %v", ev.ID, err))
			}
			mu.Lock()
			defer mu.Unlock()
			last := attempts[len(attempts)-1]
			if last.Result != mock8x8.Delivered {
				Fail(fmt.Sprintf("an event retried after a late answer: want a 2XX on the retry\n  sent: %s\n  got:  %s after %d attempts (last: %d %s %s)\n  why it matters: %s",
					sent(ev), last.Result, len(attempts), last.Status, last.Error, last.Message,
					"8x8 retries an event whose answer came too late; refusing the retry makes 8x8 retry again and finally drop it"))
			}
			wait, _ := sched.Delay(1)
			if gap := attempts[1].StartedAt.Sub(attempts[0].FinishedAt); gap < wait {
				Fail(fmt.Sprintf("the retry started %s after the first attempt ended, earlier than the schedule's %s", gap, wait))
			}
			AddReportEntry("retry", ReportEntryVisibilityFailureOrVerbose, fmt.Sprintf("event %s: attempt 1 answered too late (simulated), attempt 2 %d after %s (scheduled %s)",
				ev.ID, last.Status, attempts[1].StartedAt.Sub(attempts[0].FinishedAt).Round(time.Millisecond), wait))
			r.applied(ctx, ev.ID, 1, "an event delivered again after a late answer")
		}, r.specTimeout(7))
	})
}
