package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// auth: with httpAuthorization configured, 8x8 sends that exact value; anything else
// must be refused and leave no trace.
func (r *suiteRun) auth() {
	Describe("checks the Authorization header", Label(AreaAuth), func() {
		BeforeEach(func() {
			if r.t.Auth == "" {
				Skip("no --auth given: pass the Authorization value your receiver expects (e.g. --auth 'Bearer 9QQhlsEb8VY') to check it")
			}
		})

		It("acks a click with the right Authorization", func(ctx SpecContext) {
			ev := r.event()
			r.deliver(ctx, ev, "a click with the configured Authorization")
			r.alsoApplied(ctx, ev.ID, 1, "a click with the right Authorization")
		}, r.specTimeout(2))

		for _, c := range []struct{ name, value string }{
			{"without an Authorization header", ""},
			{"with a wrong Authorization value", "Bearer clickcheck-wrong-credential"},
		} {
			It("refuses a click "+c.name+" with 401 or 403 and does not apply it", func(ctx SpecContext) {
				ev := r.event()
				r.answering()
				o := r.client.sendWith(ctx, func(s *mock8x8.SenderConfig) { s.Authorization = c.value }, ev)
				if o.Error != mock8x8.ErrNone || (o.Status != 401 && o.Status != 403) {
					Fail(fmt.Sprintf("a click %s: want 401 or 403\n  sent: %s\n  got:  %s\n  why it matters: "+
						"anyone who finds the URL can forge clicks; a receiver that checks Authorization answers 401 or 403", c.name, sent(ev), answer(o)))
				}
				r.alsoApplied(ctx, ev.ID, 0, "a click "+c.name)
			}, r.specTimeout(2))
		}
	})
}
