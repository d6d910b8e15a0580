package mock8x8

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultConcurrency is how many attempts an Engine makes at once unless told otherwise.
const DefaultConcurrency = 16

// ErrEngineClosed is returned by Submit after Close.
var ErrEngineClosed = errors.New("mock8x8: engine is closed")

// Attempter makes one delivery attempt. *Sender is the Attempter that speaks HTTP.
type Attempter interface {
	Send(ctx context.Context, ev Event) Outcome
}

// EngineConfig configures an Engine. The zero value is 8x8's real-time schedule with
// DefaultConcurrency, the real clock and a fresh Journal.
type EngineConfig struct {
	// Schedule of retries; a zero Schedule means DefaultSchedule().
	Schedule Schedule
	// Concurrency is the number of attempts in flight at once; 0 means DefaultConcurrency.
	Concurrency int
	// Clock is the only source of time the engine waits on and stamps with.
	Clock Clock
	// Journal receives every attempt; nil means a new Journal.
	Journal *Journal
}

// Engine delivers events with 8x8's retry behaviour: each event on its own schedule,
// every attempt recorded in the Journal.
//
// Pending events live in a slab and their due times in one pointer-free min-heap, waited
// on with a single timer: the engine holds any number of pending events without a
// goroutine or timer per event, and the garbage collector has little to scan. Bodies of
// events waiting for a retry are held compressed. A fixed pool of workers makes the
// attempts.
type Engine struct {
	attempter Attempter
	schedule  Schedule
	clock     Clock
	journal   *Journal
	url       string
	epoch     time.Time // due times are kept as offsets from it

	ctx    context.Context
	cancel context.CancelFunc
	quit   chan struct{} // closed by Shutdown: no new attempts start
	work   chan ticket
	wake   chan struct{}
	wg     sync.WaitGroup

	mu          sync.Mutex
	queue       dueQueue
	jobs        slab
	seq         uint64
	outstanding int
	idle        chan struct{}
	closed      bool
}

// job is one event waiting for, or in, its next attempt.
type job struct {
	ev      Event
	first   int64 // when attempt 1 started, as an offset from the epoch
	attempt int32 // the attempt to make next, 1-based
	packed  bool  // ev.Body is compressed (see pack)
}

// ticket hands a due job to a worker.
type ticket struct {
	slot uint32
	due  int64
}

// NewEngine starts an engine that makes attempts through a. Close stops it.
func NewEngine(a Attempter, cfg EngineConfig) (*Engine, error) {
	if a == nil {
		return nil, errors.New("mock8x8: NewEngine needs an Attempter, such as a *Sender")
	}
	if len(cfg.Schedule.Intervals) == 0 && cfg.Schedule.Scale == 0 && !cfg.Schedule.FromFirstAttempt {
		cfg.Schedule = DefaultSchedule()
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, err
	}
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("mock8x8: concurrency %d is negative; use 1 or more", cfg.Concurrency)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock()
	}
	if cfg.Journal == nil {
		cfg.Journal = NewJournal()
	}
	packDict() // built now, not on the first retry, which it would make late
	e := &Engine{
		attempter: a,
		schedule:  cfg.Schedule,
		clock:     cfg.Clock,
		journal:   cfg.Journal,
		epoch:     cfg.Clock.Now(),
		quit:      make(chan struct{}),
		work:      make(chan ticket),
		wake:      make(chan struct{}, 1),
		idle:      make(chan struct{}),
	}
	if u, ok := a.(interface{ URL() string }); ok {
		e.url = u.URL()
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(1 + cfg.Concurrency)
	go e.dispatch()
	for i := 0; i < cfg.Concurrency; i++ {
		go e.worker()
	}
	return e, nil
}

// Journal returns the engine's journal.
func (e *Engine) Journal() *Journal { return e.journal }

// Schedule returns the engine's retry schedule.
func (e *Engine) Schedule() Schedule { return e.schedule }

// Submit queues ev for its first attempt now.
func (e *Engine) Submit(ev Event) error { return e.SubmitAt(ev, e.clock.Now()) }

// SubmitAt queues ev for its first attempt at the given time.
func (e *Engine) SubmitAt(ev Event, at time.Time) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrEngineClosed
	}
	e.journal.Accept(1)
	e.outstanding++
	slot := e.jobs.put(job{ev: ev, attempt: 1})
	e.pushLocked(slot, e.offset(at))
	e.mu.Unlock()
	return nil
}

// Resume queues ev for attempt next (2 up to the schedule's MaxAttempts) at due, its first
// attempt having started at first. It is for callers that make first attempts themselves,
// such as a load generator, and hand the retries to the engine; the caller has already
// counted the event with Journal.Accept and recorded its earlier attempts, so Resume counts
// nothing again.
func (e *Engine) Resume(ev Event, next int, first, due time.Time) error {
	if next < 2 || next > e.schedule.MaxAttempts() {
		return fmt.Errorf("mock8x8: cannot resume %q at attempt %d: the schedule allows attempts 2 to %d", ev.ID, next, e.schedule.MaxAttempts())
	}
	packed := pack(ev)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrEngineClosed
	}
	e.outstanding++
	slot := e.jobs.put(job{ev: packed, first: e.offset(first), attempt: int32(next), packed: true})
	e.pushLocked(slot, e.offset(due))
	e.mu.Unlock()
	return nil
}

// Outstanding is the number of submitted events that have not reached a final result.
func (e *Engine) Outstanding() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.outstanding
}

// Wait blocks until every submitted event has reached a final result, or ctx ends.
func (e *Engine) Wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		if e.outstanding == 0 {
			e.mu.Unlock()
			return nil
		}
		idle := e.idle
		e.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops the engine: attempts in flight are cancelled and not recorded, and every
// event without a final result stays counted as pending in the journal.
func (e *Engine) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = e.Shutdown(ctx)
}

// Shutdown stops the engine gracefully: no new attempt starts, and attempts in flight
// finish and are recorded until ctx ends; those still running then are cancelled, not
// recorded, like Close. Every event without a final result stays pending. It returns
// ctx's error when it had to cancel.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.quit)
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	e.cancel()
	<-done
	return err
}

// offset converts a time to the engine's internal due-time representation.
func (e *Engine) offset(t time.Time) int64 { return int64(t.Sub(e.epoch)) }

// at converts an internal offset back to a time.
func (e *Engine) at(off int64) time.Time { return e.epoch.Add(time.Duration(off)) }

// pushLocked schedules the job in slot at due and wakes the dispatcher; e.mu must be held.
func (e *Engine) pushLocked(slot uint32, due int64) {
	e.seq++
	e.queue.push(entry{due: due, seq: e.seq, slot: slot})
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// dispatch hands due jobs to the workers and sleeps until the next one is due. It reuses
// one timer, so waiting allocates nothing.
func (e *Engine) dispatch() {
	defer e.wg.Done()
	timer := e.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		e.mu.Lock()
		for len(e.queue) > 0 && e.queue[0].due <= e.offset(e.clock.Now()) {
			top := e.queue.pop()
			e.mu.Unlock()
			select {
			case e.work <- ticket{slot: top.slot, due: top.due}:
			case <-e.quit: // not handed out: the event stays pending
				return
			case <-e.ctx.Done():
				return
			}
			e.mu.Lock()
		}
		armed := len(e.queue) > 0
		if armed {
			timer.Reset(e.clock.Until(e.at(e.queue[0].due)))
		}
		e.mu.Unlock()
		select {
		case <-timer.Chan():
			armed = false
		case <-e.wake:
		case <-e.quit:
			return
		case <-e.ctx.Done():
			return
		}
		if armed && !timer.Stop() {
			// The timer fired while we were woken another way: drain it so the next
			// Reset starts clean.
			select {
			case <-timer.Chan():
			default:
			}
		}
	}
}

// worker makes attempts, records them, and requeues events that have attempts left.
func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		select {
		case t := <-e.work:
			if !e.attempt(t) {
				return
			}
		case <-e.quit:
			return
		case <-e.ctx.Done():
			return
		}
	}
}

// attempt makes and records one attempt; it returns false when the engine is closing.
func (e *Engine) attempt(t ticket) bool {
	select {
	case <-e.quit: // handed out as Shutdown began: leave it pending
		return false
	default:
	}
	e.mu.Lock()
	j := e.jobs.get(t.slot)
	e.mu.Unlock()
	ev := j.ev
	var unpackErr error
	if j.packed {
		ev, unpackErr = unpack(j.ev)
	}
	started := e.clock.Now()
	var out Outcome
	if unpackErr == nil {
		out = e.attempter.Send(e.ctx, ev)
	} else { // only if memory was corrupted: say so rather than send garbage
		out = Outcome{Error: ErrOther, Message: "mock8x8: the pending event could not be unpacked: " + unpackErr.Error(), Started: started, Finished: started}
	}
	finished := e.clock.Now()
	if e.ctx.Err() != nil {
		return false
	}
	first := started
	if j.attempt == 1 {
		j.first = e.offset(started)
	} else {
		first = e.at(j.first)
	}
	n := int(j.attempt)
	result := Classify(out, n >= e.schedule.MaxAttempts())
	rec := Attempt{
		EventID:     j.ev.ID,
		URL:         e.url,
		Attempt:     n,
		ScheduledAt: e.at(t.due),
		StartedAt:   started,
		FinishedAt:  finished,
		Status:      out.Status,
		Error:       out.Error,
		Message:     out.Message,
		Result:      result,
	}
	var nextDue int64
	if result == Retry {
		next, _ := e.schedule.Next(n, first, finished)
		// The record says exactly the time the next attempt will show as scheduled: both
		// come from the one offset (a wall time and an offset taken on the monotonic
		// clock can differ by nanoseconds).
		nextDue = e.offset(next)
		rec.NextAttemptAt = e.at(nextDue)
	}
	// Record before requeueing, so the journal never shows attempt n+1 before attempt n.
	e.journal.Record(rec)
	if result == Retry && !j.packed {
		j.ev, j.packed = pack(j.ev), true
	}
	e.mu.Lock()
	if result == Retry {
		j.attempt++
		e.jobs.set(t.slot, j)
		e.pushLocked(t.slot, nextDue)
	} else {
		e.jobs.free(t.slot)
		e.outstanding--
		if e.outstanding == 0 {
			close(e.idle)
			e.idle = make(chan struct{})
		}
	}
	e.mu.Unlock()
	return true
}

// entry is a due time in the queue. It holds no pointers, so the garbage collector skips
// the queue however long it grows.
type entry struct {
	due  int64  // offset from the engine's epoch
	seq  uint64 // scheduling order, so entries due at one instant go first-come first-served
	slot uint32 // the job's place in the slab
}

func (a entry) before(b entry) bool {
	if a.due == b.due {
		return a.seq < b.seq
	}
	return a.due < b.due
}

// dueQueue is a binary min-heap of entries by due time.
type dueQueue []entry

func (q *dueQueue) push(x entry) {
	*q = append(*q, x)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].before(h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *dueQueue) pop() entry {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, least := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].before(h[least]) {
			least = l
		}
		if r < len(h) && h[r].before(h[least]) {
			least = r
		}
		if least == i {
			break
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
	*q = h
	return top
}

// slabChunk is how many jobs one slab chunk holds; chunks never move, so growing the
// slab copies nothing.
const slabChunk = 4096

// slab stores jobs in fixed-size chunks and reuses freed slots.
type slab struct {
	chunks [][]job
	freed  []uint32
	next   uint32
}

func (s *slab) put(j job) uint32 {
	var slot uint32
	if n := len(s.freed); n > 0 {
		slot = s.freed[n-1]
		s.freed = s.freed[:n-1]
	} else {
		slot = s.next
		s.next++
		if int(slot/slabChunk) == len(s.chunks) {
			s.chunks = append(s.chunks, make([]job, slabChunk))
		}
	}
	s.set(slot, j)
	return slot
}

func (s *slab) get(slot uint32) job    { return s.chunks[slot/slabChunk][slot%slabChunk] }
func (s *slab) set(slot uint32, j job) { s.chunks[slot/slabChunk][slot%slabChunk] = j }
func (s *slab) free(slot uint32) {
	s.chunks[slot/slabChunk][slot%slabChunk] = job{} // drop the body for the collector
	s.freed = append(s.freed, slot)
}
