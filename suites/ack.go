package suites

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/fixtures"
	"github.com/clickcheck/clickcheck/mock8x8"
)

// ack: every event 8x8 sends gets a 2XX within the sender's timeout; a 3XX loses it.
func (r *suiteRun) ack() {
	Describe("acknowledges every event with a 2XX", Label(AreaAck), func() {
		It("acks a generated click within the sender timeout", func(ctx SpecContext) {
			ev := r.event()
			r.deliver(ctx, ev, "a generated short_url_clicked event")
			r.alsoApplied(ctx, ev.ID, 1, "a generated click")
		}, r.specTimeout(4))

		deliverFixture := func(ctx SpecContext, f fixtures.Fixture) {
			ev := fixtureEvent(f)
			r.deliver(ctx, ev, "fixture "+f.Name)
			if ev.Type == mock8x8.EventTypeClick {
				// Fixtures share eventIds: a receiver that dropped one is seen by its count.
				r.alsoAppliedAtLeastOnce(ctx, ev.ID, "the click of fixture "+f.Name)
			}
		}
		timeout := r.specTimeout(4)
		args := []any{deliverFixture}
		for _, f := range fixtures.Valid() {
			args = append(args, Entry(f.Name+": "+f.Description, timeout, f))
		}
		DescribeTable("acks every valid fixture as sent by 8x8", args...)
	})
}

// fixtureEvent makes a fixture sendable: its body verbatim, its eventId as the id.
func fixtureEvent(f fixtures.Fixture) mock8x8.Event {
	evs, err := mock8x8.ReadEvents(strings.NewReader(f.Body), f.Name)
	if err != nil || len(evs) != 1 {
		return mock8x8.Event{ID: f.Name, Body: f.Body}
	}
	return evs[0]
}
