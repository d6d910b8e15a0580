package load

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// DefaultConnections is how many first attempts a run keeps in flight at once unless told
// otherwise.
const DefaultConnections = 50

// Config describes a load run. Sender and Duration are required.
type Config struct {
	// Sender makes every attempt; a *mock8x8.Sender delivers exactly as 8x8 does.
	Sender mock8x8.Attempter
	// Profile says when each event is due. Nil means as fast as possible: a closed loop
	// in which each of Connections workers sends its next event as soon as the last one
	// is answered, and latency counts from the actual send.
	Profile Profile
	// Duration is how long events are generated; pending retries then drain.
	Duration time.Duration
	// Connections is the number of first attempts in flight at once. Retries get as many
	// again. Zero means DefaultConnections.
	Connections int
	// Seed makes the events: the same seed gives the same events in the same order.
	Seed uint64
	// Schedule of retries for failed attempts; the zero value is 8x8's, in real time.
	Schedule mock8x8.Schedule
	// Drain bounds the wait for pending retries after the attack. Zero means the
	// schedule's horizon (every retry gets its chance); negative means no wait.
	Drain time.Duration
	// Clock paces the run and stamps every attempt; nil means the wall clock.
	Clock mock8x8.Clock
	// Recorders receive every attempt, first attempts and retries, e.g. a JSON log.
	Recorders []mock8x8.Recorder
}

// Snapshot is a run's progress at one moment.
type Snapshot struct {
	Elapsed time.Duration
	// Phase is "attack" while events are generated, "drain" while pending retries are
	// waited for, and "done".
	Phase string
	// Sent counts first attempts started; InFlight attempts are waiting for an answer.
	Sent, InFlight int64
	// PendingRetries are events waiting for (or in) a retry.
	PendingRetries int
	// Stats is the accounting: Events = Delivered + Exhausted + Rejected + Pending.
	Stats mock8x8.Stats
	// P99 is the p99 latency of the last complete second; HaveP99 is false before one.
	P99     time.Duration
	HaveP99 bool
}

// Run is a load run in progress. Start one with Start.
type Run struct {
	cfg      Config
	clock    mock8x8.Clock
	start    time.Time
	timeout  time.Duration
	url      string
	journal  *mock8x8.Journal
	engine   *mock8x8.Engine
	timeline *timeline
	tally    *tally
	gen      *mock8x8.Generator
	workers  []*worker
	tickets  chan ticket

	ctx      context.Context // cancelled to abort: no more attempts, no drain
	cancel   context.CancelFunc
	stopOnce sync.Once
	stopped  chan struct{} // closed to stop generating early, then drain as usual

	sent, inflight atomic.Int64
	phase          atomic.Value // string
	missed         uint64
	interrupted    atomic.Bool
	attackEnd      time.Time
	drainEnd       time.Time

	done   chan struct{}
	report *Report
}

// ticket is one event handed to a worker, with when it was due (zero in a closed loop).
type ticket struct {
	ev  mock8x8.Event
	due time.Time
}

// worker owns its latency histogram, so recording needs no lock.
type worker struct {
	hist      *hdrhistogram.Histogram
	lastStart time.Time
	sent      int64
}

// Start checks cfg and starts the run. Cancelling ctx aborts it: nothing more is sent,
// in-flight attempts are cancelled and their events stay pending. Stop ends it early but
// still drains retries.
func Start(ctx context.Context, cfg Config) (*Run, error) {
	if cfg.Sender == nil {
		return nil, errors.New("load: Config.Sender is required, e.g. a *mock8x8.Sender for the receiver's URL")
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("load: duration %v must be positive, e.g. 30s", cfg.Duration)
	}
	if cfg.Connections < 0 {
		return nil, fmt.Errorf("load: connections %d is negative; use 1 or more", cfg.Connections)
	}
	if cfg.Connections == 0 {
		cfg.Connections = DefaultConnections
	}
	if cfg.Clock == nil {
		cfg.Clock = mock8x8.RealClock()
	}
	if len(cfg.Schedule.Intervals) == 0 && cfg.Schedule.Scale == 0 && !cfg.Schedule.FromFirstAttempt {
		cfg.Schedule = mock8x8.DefaultSchedule()
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	r := &Run{
		cfg:     cfg,
		clock:   cfg.Clock,
		start:   cfg.Clock.Now(),
		timeout: mock8x8.DefaultTimeout,
		tickets: make(chan ticket, cfg.Connections),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if t, ok := cfg.Sender.(interface{ Timeout() time.Duration }); ok {
		r.timeout = t.Timeout()
	}
	if u, ok := cfg.Sender.(interface{ URL() string }); ok {
		r.url = u.URL()
	}
	r.phase.Store("attack")
	// The first generator in a process builds the phone number pools: do it before the
	// clock starts, so the first events are not late by it.
	r.gen = mock8x8.NewGenerator(cfg.Seed, r.start)
	r.start = r.clock.Now()
	r.timeline = newTimeline(r.start)
	r.tally = newTally(r.timeline)
	r.journal = mock8x8.NewJournal(append([]mock8x8.Recorder{r.tally}, cfg.Recorders...)...)
	eng, err := mock8x8.NewEngine(cfg.Sender, mock8x8.EngineConfig{
		Schedule: cfg.Schedule, Concurrency: cfg.Connections, Clock: cfg.Clock, Journal: r.journal,
	})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	r.engine = eng
	r.ctx, r.cancel = context.WithCancel(ctx)
	go r.run()
	return r, nil
}

// Stop ends the attack early: no more events are generated, and pending retries drain as
// after a full run.
func (r *Run) Stop() { r.stopOnce.Do(func() { close(r.stopped) }) }

// Done is closed when the run has finished and its report is ready.
func (r *Run) Done() <-chan struct{} { return r.done }

// Report waits for the run to finish and returns its report.
func (r *Run) Report() *Report {
	<-r.done
	return r.report
}

// Snapshot returns the run's progress now. It is safe to call at any time.
func (r *Run) Snapshot() Snapshot {
	s := Snapshot{
		Elapsed:        r.clock.Since(r.start),
		Phase:          r.phase.Load().(string),
		Sent:           r.sent.Load(),
		InFlight:       r.inflight.Load(),
		PendingRetries: r.engine.Outstanding(),
		Stats:          r.journal.Stats(),
	}
	if p99, ok := r.timeline.recentP99(); ok {
		s.P99, s.HaveP99 = time.Duration(p99*float64(time.Millisecond)), true
	}
	return s
}

func (r *Run) run() {
	defer close(r.done)
	defer r.cancel()
	var wg sync.WaitGroup
	r.workers = make([]*worker, r.cfg.Connections)
	for i := range r.workers {
		w := &worker{hist: newHistogram(3)}
		r.workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.cfg.Profile == nil {
				r.work(w, r.closedLoop(i))
			} else {
				r.work(w, func() (ticket, bool) { t, ok := <-r.tickets; return t, ok })
			}
		}()
	}
	if r.cfg.Profile != nil {
		r.generate()
		close(r.tickets)
	}
	wg.Wait()
	r.attackEnd = r.clock.Now()
	if r.ctx.Err() == nil && r.cfg.Drain >= 0 {
		r.phase.Store("drain")
		limit := r.cfg.Drain
		if limit == 0 {
			limit = r.cfg.Schedule.Horizon(r.timeout)
		}
		dctx, cancel := context.WithCancel(r.ctx)
		t := r.clock.AfterFunc(limit, cancel)
		_ = r.engine.Wait(dctx) // what is still pending at the limit is reported as pending
		t.Stop()
		cancel()
	}
	r.engine.Close()
	r.drainEnd = r.clock.Now()
	r.phase.Store("done")
	r.report = r.buildReport()
}

// generate makes the events of an open-model run and hands them to the workers, each
// when it is due.
func (r *Run) generate() {
	gen := r.gen
	timer := r.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// Events due before the end are still sent a little late, but a sender that has fallen
	// further behind stops at end+grace: the receiver cannot keep the run going forever.
	end := r.start.Add(r.cfg.Duration + min(time.Second, r.cfg.Duration/10))
	for n := uint64(0); ; n++ {
		off, ok := r.cfg.Profile.Offset(n)
		if !ok || off >= r.cfg.Duration {
			return
		}
		due := r.start.Add(off)
		if wait := r.clock.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.Chan():
			case <-r.stopped:
				r.interrupted.Store(true)
				return
			case <-r.ctx.Done():
				r.interrupted.Store(true)
				return
			}
		}
		if !r.clock.Now().Before(end) {
			r.missed = Due(r.cfg.Profile, r.cfg.Duration) - n
			return
		}
		click := gen.NextClick()
		click.OccurredAt = due.UTC().Truncate(time.Second) // the click just happened
		ev := click.Event()
		r.journal.Accept(1)
		select {
		case r.tickets <- ticket{ev: ev, due: due}:
		case <-r.stopped:
			r.interrupted.Store(true)
			r.tickets <- ticket{ev: ev, due: due} // accepted: it still gets its attempts
			return
		case <-r.ctx.Done():
			r.interrupted.Store(true)
			return // accepted but never sent: it stays pending
		}
	}
}

// closedLoop returns worker i's source of events for an as-fast-as-possible run: its own
// stream from the seed, generated in the worker's goroutine as it goes, so no goroutine
// hands events over. Each worker's stream depends only on the seed and i.
func (r *Run) closedLoop(i int) func() (ticket, bool) {
	gen := r.gen.Worker(i)
	end := r.start.Add(r.cfg.Duration)
	return func() (ticket, bool) {
		select {
		case <-r.stopped:
			r.interrupted.Store(true)
			return ticket{}, false
		case <-r.ctx.Done():
			return ticket{}, false
		default:
		}
		now := r.clock.Now()
		if !now.Before(end) {
			return ticket{}, false
		}
		click := gen.NextClick()
		click.OccurredAt = now.UTC().Truncate(time.Second)
		r.journal.Accept(1)
		return ticket{ev: click.Event()}, true
	}
}

// work makes first attempts; failures go to the engine for retries.
func (r *Run) work(w *worker, next func() (ticket, bool)) {
	last := r.cfg.Schedule.MaxAttempts() == 1
	for t, ok := next(); ok; t, ok = next() {
		if r.ctx.Err() != nil {
			continue // aborted: the event stays pending
		}
		r.sent.Add(1)
		r.inflight.Add(1)
		out := r.cfg.Sender.Send(r.ctx, t.ev)
		r.inflight.Add(-1)
		if r.ctx.Err() != nil {
			continue
		}
		due := t.due
		if due.IsZero() {
			due = out.Started
		}
		w.sent++
		w.lastStart = out.Started
		latency := out.Finished.Sub(due)
		record(w.hist, latency)
		r.timeline.record(out.Finished, latency, out.Failed())
		a := mock8x8.Attempt{
			EventID:     t.ev.ID,
			URL:         r.url,
			Attempt:     1,
			ScheduledAt: due,
			StartedAt:   out.Started,
			FinishedAt:  out.Finished,
			Status:      out.Status,
			Error:       out.Error,
			Message:     out.Message,
			Result:      mock8x8.Classify(out, last),
		}
		if a.Result == mock8x8.Retry {
			a.NextAttemptAt, _ = r.cfg.Schedule.Next(1, out.Started, out.Finished)
		}
		r.journal.Record(a)
		if a.Result == mock8x8.Retry {
			// Resume fails only once the run is aborted; the event then stays pending.
			_ = r.engine.Resume(t.ev, 2, out.Started, a.NextAttemptAt)
		}
	}
}

// tally is the journal's recorder: it counts every attempt by status and error and
// records the latency of retries (first attempts are recorded by their workers). The
// journal serializes its calls.
type tally struct {
	timeline *timeline
	status   map[int]int64
	errors   map[mock8x8.ErrorClass]int64
	retries  *hdrhistogram.Histogram
	mu       sync.Mutex
}

func newTally(tl *timeline) *tally {
	return &tally{
		timeline: tl,
		status:   make(map[int]int64),
		errors:   make(map[mock8x8.ErrorClass]int64),
		retries:  newHistogram(3),
	}
}

func (t *tally) Record(a mock8x8.Attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.Error != mock8x8.ErrNone {
		t.errors[a.Error]++
	} else {
		t.status[a.Status]++
	}
	if a.Attempt > 1 {
		latency := a.FinishedAt.Sub(a.ScheduledAt)
		record(t.retries, latency)
		t.timeline.record(a.FinishedAt, latency, a.Result != mock8x8.Delivered)
	}
}

// buildReport puts the finished run's figures together.
func (r *Run) buildReport() *Report {
	stats := r.journal.Stats()
	rep := &Report{
		Seed:        r.cfg.Seed,
		Connections: r.cfg.Connections,
		TimeScale:   r.cfg.Schedule.Scale,
		StartedAt:   r.start.UTC(),
		Events:      stats.Events,
		Missed:      int64(r.missed),
		Attempts:    stats.Attempts,
		Interrupted: r.interrupted.Load() || r.ctx.Err() != nil && stats.Pending > 0,
		Results: Results{
			Delivered: stats.Delivered,
			Exhausted: stats.Exhausted,
			Rejected:  stats.Rejected,
			Pending:   stats.Pending,
		},
		Status: make(map[string]int64),
		Errors: make(map[string]int64),
	}
	rep.Target = r.url
	if r.cfg.Profile != nil {
		rep.Profile = r.cfg.Profile.String()
		rep.Rate.Target = float64(Due(r.cfg.Profile, r.cfg.Duration)) / r.cfg.Duration.Seconds()
	} else {
		rep.Profile = fmt.Sprintf("as fast as possible, %d connections", r.cfg.Connections)
	}
	all := newHistogram(3)
	var sent int64
	var last time.Time
	for _, w := range r.workers {
		all.Merge(w.hist)
		sent += w.sent
		if w.lastStart.After(last) {
			last = w.lastStart
		}
	}
	// The achieved rate is over the whole duration asked for (or until the last event
	// went out, if later): a run that kept its schedule achieves exactly its target.
	window := r.cfg.Duration
	if span := last.Sub(r.start); span > window || rep.Interrupted && sent > 0 {
		window = span
	}
	if sent > 0 && window > 0 {
		rep.Rate.Achieved = float64(sent) / window.Seconds()
	}
	// The attack lasts the duration asked for, also when the profile's events ran out
	// sooner, or until the last first attempt ended if later; the drain is what follows.
	attack := r.attackEnd.Sub(r.start)
	if !rep.Interrupted {
		attack = max(attack, r.cfg.Duration)
	}
	rep.Duration = attack.Seconds()
	rep.Drain = max(0, r.drainEnd.Sub(r.start)-attack).Seconds()
	if run := rep.Duration + rep.Drain; run > 0 {
		rep.Throughput = float64(stats.Delivered) / run
	}
	r.tally.mu.Lock()
	all.Merge(r.tally.retries)
	for code, n := range r.tally.status {
		rep.Status[strconv.Itoa(code)] = n
	}
	for class, n := range r.tally.errors {
		rep.Errors[string(class)] = n
	}
	r.tally.mu.Unlock()
	if all.TotalCount() > 0 {
		rep.LatencyMs = Latency{
			P50:  ms(all.ValueAtQuantile(50)),
			P90:  ms(all.ValueAtQuantile(90)),
			P99:  ms(all.ValueAtQuantile(99)),
			P999: ms(all.ValueAtQuantile(99.9)),
			Max:  ms(all.Max()),
			Mean: all.Mean() / 1000,
			Min:  ms(all.Min()),
		}
		for _, b := range all.CumulativeDistributionWithTicks(5) {
			rep.Distribution = append(rep.Distribution, Quantile{Fraction: b.Quantile / 100, Ms: ms(b.ValueAt)})
		}
	}
	rep.Timeline = r.timeline.finish(r.drainEnd)
	sort.Slice(rep.Timeline, func(i, j int) bool { return rep.Timeline[i].Second < rep.Timeline[j].Second })
	return rep
}
