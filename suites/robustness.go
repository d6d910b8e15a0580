package suites

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/fixtures"
	"github.com/clickcheck/clickcheck/mock8x8"
)

// bigBody is the size of the oversized body robustness sends, and bigBodyName its name.
const (
	bigBody     = 1 << 20
	bigBodyName = "1 MiB body"
)

// robustness: bad input must get an answer (4XX expected) and must not break the
// receiver for the events after it.
func (r *suiteRun) robustness() {
	Describe("survives bad input", Label(AreaRobustness), func() {
		answersBadInput := func(ctx SpecContext, name string, bad any) {
			var ev mock8x8.Event
			switch b := bad.(type) {
			case mock8x8.Event:
				ev = b
			case func() mock8x8.Event:
				ev = b()
			}
			r.answering()
			o := r.client.send(ctx, ev)
			switch {
			case o.Status == 0:
				Fail(fmt.Sprintf("bad input (%s): want an answer, 4XX expected\n  sent: %s\n  got:  %s\n  why it matters: %s",
					name, sent(ev), answer(o), "a receiver that hangs or drops the connection on bad input can be taken down by one bad request"))
			case o.Status >= 500:
				AddReportEntry("robustness note", ReportEntryVisibilityFailureOrVerbose, fmt.Sprintf("%s answered %d: a 4XX says the input is bad; a 5XX makes 8x8 retry it 4 times", name, o.Status))
			case o.Status < 400 && name == bigBodyName:
				// A valid click, only large: accepting it is as sound as a 413.
			case o.Status < 400:
				AddReportEntry("robustness note", ReportEntryVisibilityFailureOrVerbose, fmt.Sprintf("%s answered %d: accepted; a 4XX is expected for input 8x8 never sends", name, o.Status))
			}
			next := r.event()
			r.deliver(ctx, next, fmt.Sprintf("a valid click right after bad input (%s)", name))
			r.alsoApplied(ctx, next.ID, 1, fmt.Sprintf("a valid click acked right after bad input (%s): a receiver whose worker died on it acks and loses", name))
		}
		timeout := r.specTimeout(3)
		args := []any{answersBadInput}
		for _, f := range fixtures.Invalid() {
			args = append(args, Entry(f.Name+": "+f.Description, timeout, f.Name, mock8x8.Event{ID: f.Name, Body: f.Body}))
		}
		args = append(args, Entry("a 1 MiB body: a click padded with a 1 MiB unknown field", timeout, bigBodyName, r.bigEvent))
		DescribeTable("answers bad input and still acks the next valid event", args...)
	})
}

// bigEvent is a valid click padded to about 1 MiB with an unknown payload field.
func (r *suiteRun) bigEvent() mock8x8.Event {
	ev := r.event()
	ev.Body = withPayloadFields(ev.Body, `"padding":"`+strings.Repeat("x", bigBody)+`"`)
	return ev
}
