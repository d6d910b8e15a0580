package suites

import (
	"fmt"
	"strconv"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// compat: what 8x8 may send besides today's exact click event.
func (r *suiteRun) compat() {
	Describe("tolerates what else 8x8 sends to the same URL", Label(AreaCompat), func() {
		It("acks and applies a click with unknown fields in the envelope and the payload", func(ctx SpecContext) {
			ev := r.event()
			ev.Body = withEnvelopeFields(ev.Body, `"apiVersion":"2026-01","meta":{"region":"ap-southeast-1","retry":false}`)
			ev.Body = withPayloadFields(ev.Body, `"country":"SG","userAgent":"Mozilla/5.0 (iPhone)","tags":["promo",{"nested":null}],"clickCount":2`)
			r.deliver(ctx, ev, "a click with fields 8x8 may add later (receivers must ignore unknown fields)")
			r.alsoApplied(ctx, ev.ID, 1, "a click with unknown fields")
		}, r.specTimeout(2))

		It("acks a click sent with Content-Type: application/json; charset=utf-8", func(ctx SpecContext) {
			ev := r.event()
			r.answering()
			o := r.client.sendWith(ctx, func(c *mock8x8.SenderConfig) { c.ContentType = "application/json; charset=utf-8" }, ev)
			if !is2XX(o) {
				Fail(fmt.Sprintf("a click with a charset parameter on its Content-Type: want a 2XX\n  sent: %s\n  got:  %s\n  why it matters: %s",
					sent(ev), answer(o), why2XX(o)+"; the media type is application/json whatever its parameters"))
			}
		}, r.specTimeout(2))

		for _, kind := range []string{mock8x8.EventTypeInbound, mock8x8.EventTypeStatusChange} {
			It("acks "+kind+" on the same URL without counting it as a click", func(ctx SpecContext) {
				ev := r.sibling(kind)
				// A decoy eventId catches receivers that read payload.eventId without
				// looking at eventType; receivers must ignore it like any unknown field.
				decoy := r.click().EventID
				ev.Body = withPayloadFields(ev.Body, `"eventId":`+strconv.Quote(decoy))
				r.deliver(ctx, ev, "an "+kind+" event (one 8x8 webhook URL receives every SMS event type)")
				r.applied(ctx, decoy, 0, "an "+kind+" event carrying a decoy eventId")
			}, r.specTimeout(2))
		}
	})
}

// sibling returns a fresh event of another SMS type.
func (r *suiteRun) sibling(kind string) mock8x8.Event {
	r.genMu <- struct{}{}
	defer func() { <-r.genMu }()
	if kind == mock8x8.EventTypeInbound {
		return r.gen.NextInbound().Event()
	}
	return r.gen.NextStatusChange().Event()
}
