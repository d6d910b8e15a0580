package suites

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// The conformance areas, as Ginkgo labels (DESIGN.md).
const (
	AreaAck         = "ack"
	AreaCompat      = "compat"
	AreaAuth        = "auth"
	AreaIdempotency = "idempotency"
	AreaRetry       = "retry"
	AreaLatency     = "latency"
	AreaRobustness  = "robustness"
	AreaNoLoss      = "no-loss"
	AreaSlow        = "slow"
)

// Areas lists every area in report order.
var Areas = []string{AreaAck, AreaCompat, AreaAuth, AreaIdempotency, AreaRetry, AreaLatency, AreaRobustness, AreaNoLoss, AreaSlow}

// suiteRun is the state one run of the specs shares: set up in BeforeSuite, read by the
// specs. Nothing reads the Target while the tree is built.
type suiteRun struct {
	target   *Target
	t        Target // target with defaults, from BeforeSuite on
	client   *client
	observer Observer
	gen      *mock8x8.Generator
	genMu    chan struct{} // a one-slot lock: the generator is not safe for concurrent use
	unit     time.Duration // the sender timeout, known when the tree is built
}

// Register builds the conformance spec tree for target and returns true, so it can be
// called from a package-level var in a test. Call it once per process, before RunSpecs;
// the target is read only when the specs run.
func Register(target *Target) bool {
	r := &suiteRun{target: target, genMu: make(chan struct{}, 1), unit: target.WithDefaults().Timeout}
	return r.register()
}

func (r *suiteRun) register() bool {
	BeforeSuite(func() {
		t := r.target.WithDefaults()
		if err := t.Validate(); err != nil {
			Fail("the target is not usable: " + err.Error())
		}
		if t.Seed == 0 {
			t.Seed = uint64(time.Now().UnixNano())
		}
		c, err := newClient(t)
		if err != nil {
			Fail("the target is not usable: " + err.Error())
		}
		r.t, r.client, r.observer = t, c, newObserver(t)
		// Clicks dated by now, as 8x8 sends them: a receiver may refuse clicks from the future.
		r.gen = mock8x8.NewGenerator(t.Seed, mock8x8.RecentStart(t.Seed, time.Now().UTC().Truncate(time.Second), suiteClicks))
		AddReportEntry("target", ReportEntryVisibilityFailureOrVerbose, fmt.Sprintf("%s (timeout %s, time scale %g, seed %d, observer %s)", t.URL, t.Timeout, t.TimeScale, t.Seed, r.describeObserver()))
	})
	AfterSuite(func() {
		if r.client != nil {
			r.client.close()
		}
	})
	Describe("8x8 SMS click webhook receiver", func() {
		r.ack()
		r.compat()
		r.auth()
		r.idempotency()
		r.retry()
		r.latency()
		r.robustness()
		r.noLoss()
		r.slow()
	})
	return true
}

// specTimeout bounds a spec that may wait for n sender timeouts, so that no receiver,
// however slow or broken, can hang a run.
func (r *suiteRun) specTimeout(n int) SpecTimeout {
	if r.unit <= 0 {
		r.unit = DefaultTimeout
	}
	return SpecTimeout(time.Duration(n)*r.unit + 5*time.Second)
}

func (r *suiteRun) describeObserver() string {
	if r.observer == nil {
		return "none"
	}
	return r.observer.Describe()
}

// suiteClicks is more than a full run takes (no-loss, latency and a few dozen more), so
// every click a run sends is dated by the time the run starts.
const suiteClicks = 2 * (noLossEvents + latencyEvents)

// click returns a fresh generated click.
func (r *suiteRun) click() mock8x8.Click {
	r.genMu <- struct{}{}
	defer func() { <-r.genMu }()
	return r.gen.NextClick()
}

// event returns a fresh generated click event.
func (r *suiteRun) event() mock8x8.Event { return r.click().Event() }

// answering fails the spec at once when the receiver has stopped answering.
func (r *suiteRun) answering() {
	r.client.recheck(context.Background())
	if why := r.client.silence(); why != "" {
		Fail(why)
	}
}

// needObserver skips a spec that cannot be judged without one.
func (r *suiteRun) needObserver(what string) {
	if r.observer == nil {
		Skip("needs an observer to see " + what + ": pass --observe-url 'http://host/observed/{eventId}' or --observe-cmd '...'; acks alone cannot show it")
	}
}

// deliver sends ev once and fails the spec unless the answer is a 2XX.
func (r *suiteRun) deliver(ctx context.Context, ev mock8x8.Event, what string) mock8x8.Outcome {
	r.answering()
	o := r.client.send(ctx, ev)
	if !is2XX(o) {
		hint := ""
		if (o.Status == 401 || o.Status == 403) && r.t.Auth == "" {
			hint = fmt.Sprintf(" (it answered %d: if it checks Authorization, give verify the value 8x8 would send with --auth)", o.Status)
		}
		Fail(fmt.Sprintf("%s: want a 2XX within %s%s\n  sent: %s\n  got:  %s\n  why it matters: %s", what, r.t.Timeout, hint, sent(ev), answer(o), why2XX(o)))
	}
	return o
}

// applied fails the spec unless the observer settles on want for id. It ends a spec whose
// claim is how often an event was applied: without an observer, everything before it
// (the acks) has been checked and the spec is reported skipped with the reason, never
// passed.
func (r *suiteRun) applied(ctx context.Context, id string, want int, what string) {
	if r.observer == nil {
		Skip(fmt.Sprintf("acked as 8x8 expects, but whether %s was applied %d time%s needs an observer: pass --observe-url 'http://host/observed/{eventId}' or --observe-cmd '...'",
			what, want, plural(want)))
	}
	r.alsoApplied(ctx, id, want, what)
}

// alsoApplied checks with the observer, when there is one, that id was applied want
// times; for specs whose claim is the ack, which stands without an observer.
func (r *suiteRun) alsoApplied(ctx context.Context, id string, want int, what string) {
	r.checkApplied(ctx, id, want, false, what)
}

// alsoAppliedAtLeastOnce is alsoApplied for fixtures, whose fixed eventIds an earlier run
// may have applied already: one application or more will do.
func (r *suiteRun) alsoAppliedAtLeastOnce(ctx context.Context, id, what string) {
	r.checkApplied(ctx, id, 1, true, what)
}

// checkApplied fails the spec unless the observer, when there is one, settles on want
// applications of id (or more, with atLeast).
func (r *suiteRun) checkApplied(ctx context.Context, id string, want int, atLeast bool, what string) {
	if r.observer == nil {
		return
	}
	quiet := 150 * time.Millisecond // an exact count must hold still; "at least" need not
	if atLeast {
		quiet = 0
	}
	n, err := settle(ctx, r.observer, id, want, 3*time.Second, quiet)
	if err != nil {
		Fail(fmt.Sprintf("%s: could not observe event %s: %v", what, id, err))
	}
	if n == want || atLeast && n > want {
		return
	}
	Fail(fmt.Sprintf("%s: event %s was applied %d time%s, want %d (observed with %s)\n  why it matters: %s",
		what, id, n, plural(n), want, r.observer.Describe(), whyApplied(n, want)))
}

func whyApplied(n, want int) string {
	switch {
	case n > want:
		return "8x8 delivers at least once: duplicates and retries of an event already applied must change nothing, or clicks are double counted"
	case want == 0:
		return "an event that was not accepted must leave no trace"
	default:
		return "the receiver acked an event it did not apply: 8x8 will not send it again, so the click is lost"
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// withPayloadFields adds members to the payload object of a JSON event body.
func withPayloadFields(body, members string) string {
	i := strings.LastIndex(body, "}}")
	if i < 0 {
		return body
	}
	return body[:i] + "," + members + body[i:]
}

// withEnvelopeFields adds members to the envelope of a JSON event body.
func withEnvelopeFields(body, members string) string {
	return "{" + members + "," + strings.TrimPrefix(body, "{")
}
