package mock8x8_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/clickcheck/clickcheck/mock8x8"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// answer is what the scripted receiver does on one attempt.
type answer struct {
	status   int
	err      error
	took     time.Duration // fake time the attempt takes
	location string
}

// scriptedTransport answers attempts from a script on a fake clock, so every attempt's
// time is exact.
type scriptedTransport struct {
	clock  *clockwork.FakeClock
	script func(attempt int) answer
	mu     sync.Mutex
	calls  []string // "METHOD URL" per request that reached the transport
	bodies []string // the body of each request
}

func (s *scriptedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.calls = append(s.calls, req.Method+" "+req.URL.String())
	s.bodies = append(s.bodies, string(body))
	n := len(s.calls)
	s.mu.Unlock()
	a := s.script(n)
	if a.took > 0 {
		s.clock.Advance(a.took)
	}
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{}
	if a.location != "" {
		h.Set("Location", a.location)
	}
	return &http.Response{
		StatusCode: a.status, Header: h, Request: req, ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(strings.NewReader("")),
	}, nil
}

func (s *scriptedTransport) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

var (
	errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	errTimeout = context.DeadlineExceeded
)

// runScripted delivers one event through a real Sender over the scripted transport and
// returns every attempt the journal recorded. Between attempts it waits for the engine to
// arm its timer and moves the fake clock exactly to the next due time.
func runScripted(t *testing.T, sched mock8x8.Schedule, script func(int) answer) ([]mock8x8.Attempt, *scriptedTransport) {
	t.Helper()
	fc := clockwork.NewFakeClockAt(t0)
	tr := &scriptedTransport{clock: fc, script: script}
	records := make(chan mock8x8.Attempt, 16)
	journal := mock8x8.NewJournal(mock8x8.RecorderFunc(func(a mock8x8.Attempt) { records <- a }))
	sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: "http://receiver.test/webhooks/8x8", Transport: tr, Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{Schedule: sched, Clock: fc, Journal: journal, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev := mock8x8.NewGenerator(3, t0).Next()
	if err := eng.Submit(ev); err != nil {
		t.Fatal(err)
	}
	var got []mock8x8.Attempt
	for {
		select {
		case a := <-records:
			got = append(got, a)
		case <-ctx.Done():
			t.Fatalf("no attempt %d recorded within 10s; attempts so far: %+v", len(got)+1, got)
		}
		last := got[len(got)-1]
		if last.Result.Final() {
			break
		}
		if last.NextAttemptAt.IsZero() {
			t.Fatalf("attempt %d has result retry but no nextAttemptAt", last.Attempt)
		}
		if err := fc.BlockUntilContext(ctx, 1); err != nil {
			t.Fatalf("engine never armed its timer for attempt %d: %v", last.Attempt+1, err)
		}
		fc.Advance(last.NextAttemptAt.Sub(fc.Now()))
	}
	if err := eng.Wait(ctx); err != nil {
		t.Fatalf("engine still has outstanding events after a final result: %v", err)
	}
	// Nothing may follow a final result, however long we wait.
	fc.Advance(24 * time.Hour)
	select {
	case a := <-records:
		t.Fatalf("attempt %d after the final result: %+v", a.Attempt, a)
	case <-time.After(20 * time.Millisecond):
	}
	if s := journal.Stats(); !s.Balanced() || s.Pending != 0 || s.Events != 1 {
		t.Fatalf("journal after the run: %+v, want 1 event, nothing pending, balanced", s)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i, b := range tr.bodies { // retries wait compressed: each must go out byte for byte
		if b != ev.Body {
			t.Fatalf("attempt %d sent\n%s\nwant the event verbatim:\n%s", i+1, b, ev.Body)
		}
	}
	for _, a := range got {
		if a.EventID != ev.ID {
			t.Fatalf("attempt %d recorded for event %q, want %q", a.Attempt, a.EventID, ev.ID)
		}
	}
	return got, tr
}

func offsets(atts []mock8x8.Attempt) []time.Duration {
	out := make([]time.Duration, len(atts))
	for i, a := range atts {
		out[i] = a.StartedAt.Sub(t0)
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func results(atts []mock8x8.Attempt) []mock8x8.Result {
	out := make([]mock8x8.Result, len(atts))
	for i, a := range atts {
		out[i] = a.Result
	}
	return out
}

func secs(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

var fiveFailures = []mock8x8.Result{mock8x8.Retry, mock8x8.Retry, mock8x8.Retry, mock8x8.Retry, mock8x8.Exhausted}

func TestEngine_ExactScheduleByFailureClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		answer    answer
		wantStart []time.Duration
		wantError mock8x8.ErrorClass
	}{
		// Failures that answer at once: attempts at 0, 1, 11, 41 and 131 s.
		{"connection_refused", answer{err: errRefused}, secs(0, 1, 11, 41, 131), mock8x8.ErrRefused},
		{"400", answer{status: 400}, secs(0, 1, 11, 41, 131), ""},
		{"401", answer{status: 401}, secs(0, 1, 11, 41, 131), ""},
		{"404", answer{status: 404}, secs(0, 1, 11, 41, 131), ""},
		{"429", answer{status: 429}, secs(0, 1, 11, 41, 131), ""},
		{"500", answer{status: 500}, secs(0, 1, 11, 41, 131), ""},
		{"503", answer{status: 503}, secs(0, 1, 11, 41, 131), ""},
		// A timeout takes the whole 5 s; each interval counts from the attempt's end.
		{"timeout", answer{err: errTimeout, took: 5 * time.Second}, secs(0, 6, 21, 56, 151), mock8x8.ErrTimeout},
		// A slow 500 (2 s) shifts every later attempt by its duration.
		{"slow_500", answer{status: 500, took: 2 * time.Second}, secs(0, 3, 15, 47, 139), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, tr := runScripted(t, mock8x8.DefaultSchedule(), func(int) answer { return tt.answer })
			if !equalDurations(offsets(got), tt.wantStart) {
				t.Errorf("attempts started at %v, want %v", offsets(got), tt.wantStart)
			}
			if rs := results(got); len(rs) != 5 || rs[4] != mock8x8.Exhausted || rs[0] != mock8x8.Retry {
				t.Errorf("results %v, want %v", rs, fiveFailures)
			}
			for i, a := range got {
				if a.Attempt != i+1 || a.Status != tt.answer.status || a.Error != tt.wantError {
					t.Errorf("attempt %d recorded as #%d status %d error %q, want #%d status %d error %q",
						i+1, a.Attempt, a.Status, a.Error, i+1, tt.answer.status, tt.wantError)
				}
				if !a.StartedAt.Equal(a.ScheduledAt) {
					t.Errorf("attempt %d started %v after its due time", i+1, a.Lateness())
				}
			}
			if n := len(tr.requests()); n != 5 {
				t.Errorf("receiver saw %d requests, want 5", n)
			}
		})
	}
}

func TestEngine_SuccessStopsRetries(t *testing.T) {
	t.Parallel()
	for k, status := range []int{200, 201, 202, 204, 299} {
		k := k%5 + 1 // succeed on attempt 1..5
		t.Run(fmt.Sprintf("%d_on_attempt_%d", status, k), func(t *testing.T) {
			t.Parallel()
			got, _ := runScripted(t, mock8x8.DefaultSchedule(), func(n int) answer {
				if n == k {
					return answer{status: status}
				}
				return answer{status: 503}
			})
			want := secs(0, 1, 11, 41, 131)[:k]
			if !equalDurations(offsets(got), want) {
				t.Errorf("attempts started at %v, want %v", offsets(got), want)
			}
			if last := got[len(got)-1]; last.Result != mock8x8.Delivered || last.Status != status || !last.NextAttemptAt.IsZero() {
				t.Errorf("last attempt %+v, want delivered with status %d and no next attempt", last, status)
			}
		})
	}
}

func TestEngine_RedirectsAreRejectedNotFollowed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			got, tr := runScripted(t, mock8x8.DefaultSchedule(), func(int) answer {
				return answer{status: status, location: "http://elsewhere.test/new"}
			})
			if len(got) != 1 || got[0].Result != mock8x8.Rejected || got[0].Status != status {
				t.Fatalf("attempts %+v, want exactly one, rejected with status %d", got, status)
			}
			if reqs := tr.requests(); len(reqs) != 1 || strings.Contains(reqs[0], "elsewhere") {
				t.Errorf("requests %v: the redirect must not be followed", reqs)
			}
		})
	}
}

func TestEngine_InformationalIsRejected(t *testing.T) {
	t.Parallel()
	got, _ := runScripted(t, mock8x8.DefaultSchedule(), func(int) answer { return answer{status: 199} })
	if len(got) != 1 || got[0].Result != mock8x8.Rejected {
		t.Fatalf("attempts %+v, want one rejected attempt", got)
	}
}

func TestEngine_FromFirstAttempt(t *testing.T) {
	t.Parallel()
	sched := mock8x8.DefaultSchedule()
	sched.FromFirstAttempt = true
	t.Run("instant_failures", func(t *testing.T) {
		t.Parallel()
		got, _ := runScripted(t, sched, func(int) answer { return answer{status: 500} })
		if want := secs(0, 1, 11, 41, 131); !equalDurations(offsets(got), want) {
			t.Errorf("attempts started at %v, want %v", offsets(got), want)
		}
	})
	t.Run("timeouts", func(t *testing.T) {
		t.Parallel()
		// Offsets stay anchored to the first attempt; attempt 2 follows at once because
		// attempt 1 ended (5 s) after its offset (1 s).
		got, _ := runScripted(t, sched, func(int) answer { return answer{err: errTimeout, took: 5 * time.Second} })
		if want := secs(0, 5, 11, 41, 131); !equalDurations(offsets(got), want) {
			t.Errorf("attempts started at %v, want %v", offsets(got), want)
		}
	})
}

func TestEngine_TimeScale(t *testing.T) {
	t.Parallel()
	got, _ := runScripted(t, mock8x8.DefaultSchedule().Scaled(0.01), func(int) answer { return answer{status: 503} })
	if want := secs(0, 0.01, 0.11, 0.41, 1.31); !equalDurations(offsets(got), want) {
		t.Errorf("attempts started at %v, want %v", offsets(got), want)
	}
}

// failingAttempter fails every attempt at once, counting how many run at the same time.
type failingAttempter struct {
	mu                sync.Mutex
	inFlight, maxSeen int
	hold              time.Duration
}

func (f *failingAttempter) Send(ctx context.Context, ev mock8x8.Event) mock8x8.Outcome {
	f.mu.Lock()
	f.inFlight++
	if f.inFlight > f.maxSeen {
		f.maxSeen = f.inFlight
	}
	f.mu.Unlock()
	time.Sleep(f.hold)
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	if strings.HasSuffix(ev.ID, "7") {
		return mock8x8.Outcome{Status: 200}
	}
	if strings.HasSuffix(ev.ID, "3") {
		return mock8x8.Outcome{Status: 307}
	}
	return mock8x8.Outcome{Status: 503}
}

func TestEngine_AccountingHoldsThroughoutAndConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	journal := mock8x8.NewJournal()
	att := &failingAttempter{hold: 200 * time.Microsecond}
	sched := mock8x8.DefaultSchedule().Scaled(0.001) // a full cycle in about 131 ms
	eng, err := mock8x8.NewEngine(att, mock8x8.EngineConfig{Schedule: sched, Concurrency: 4, Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	const n = 300
	done := make(chan struct{})
	var unbalanced []mock8x8.Stats
	go func() {
		defer close(done)
		for i := 0; i < 100000; i++ {
			s := journal.Stats()
			if !s.Balanced() {
				unbalanced = append(unbalanced, s)
			}
			if s.Events == n && s.Pending == 0 {
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	for i := 0; i < n; i++ {
		if err := eng.Submit(mock8x8.Event{ID: "ev-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := eng.Wait(ctx); err != nil {
		t.Fatalf("events still outstanding: %d (%v)", eng.Outstanding(), err)
	}
	<-done
	if len(unbalanced) > 0 {
		t.Fatalf("the invariant broke %d times, first %+v", len(unbalanced), unbalanced[0])
	}
	s := journal.Stats()
	// Ids ending in 7 deliver, in 3 are rejected, the rest exhaust after 5 attempts.
	want := mock8x8.Stats{Events: n, Delivered: 30, Rejected: 30, Exhausted: 240, Attempts: 30 + 30 + 240*5}
	if s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
	if att.maxSeen > 4 {
		t.Fatalf("%d attempts ran at once with concurrency 4", att.maxSeen)
	}
}

func TestEngine_CloseLeavesUnfinishedEventsPending(t *testing.T) {
	t.Parallel()
	journal := mock8x8.NewJournal()
	eng, err := mock8x8.NewEngine(&failingAttempter{}, mock8x8.EngineConfig{Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		_ = eng.Submit(mock8x8.Event{ID: "ev-" + strconv.Itoa(i*10)})
	}
	// Every event fails its first attempt and waits a real second for its retry.
	deadline := time.Now().Add(5 * time.Second)
	for journal.Stats().Attempts < 10 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	eng.Close()
	s := journal.Stats()
	if s.Pending != 10 || !s.Balanced() || s.Attempts != 10 {
		t.Fatalf("after Close: %+v, want 10 pending after 10 attempts", s)
	}
	if err := eng.Submit(mock8x8.Event{ID: "late"}); !errors.Is(err, mock8x8.ErrEngineClosed) {
		t.Fatalf("Submit after Close returned %v, want ErrEngineClosed", err)
	}
}

func TestEngine_ResumeContinuesAnEventFromItsNextAttempt(t *testing.T) {
	t.Parallel()
	fc := clockwork.NewFakeClockAt(t0)
	tr := &scriptedTransport{clock: fc, script: func(int) answer { return answer{status: 503} }}
	records := make(chan mock8x8.Attempt, 16)
	journal := mock8x8.NewJournal(mock8x8.RecorderFunc(func(a mock8x8.Attempt) { records <- a }))
	sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: "http://receiver.test/webhooks/8x8", Transport: tr, Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{Clock: fc, Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ev := mock8x8.Event{ID: "ev-1", Body: `{"namespace":"SMS"}`}
	for _, bad := range []int{0, 1, 6} {
		if err := eng.Resume(ev, bad, t0, t0); err == nil || !strings.Contains(err.Error(), "attempts 2 to 5") {
			t.Errorf("Resume at attempt %d: error %v, want one naming the allowed attempts 2 to 5", bad, err)
		}
	}
	// The caller made attempts 1 and 2 (at 0 and 1 s) and counted the event itself.
	journal.Accept(1)
	if err := eng.Resume(ev, 3, t0, t0.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []mock8x8.Attempt
	for next := t0.Add(11 * time.Second); !next.IsZero(); {
		if err := fc.BlockUntilContext(ctx, 1); err != nil {
			t.Fatalf("engine never armed its timer after %d attempts: %v", len(got), err)
		}
		fc.Advance(next.Sub(fc.Now()))
		select {
		case a := <-records:
			got = append(got, a)
			next = a.NextAttemptAt
		case <-ctx.Done():
			t.Fatalf("attempt %d never made", len(got)+3)
		}
	}
	var nums []int
	for _, a := range got {
		nums = append(nums, a.Attempt)
	}
	if fmt.Sprint(nums) != "[3 4 5]" || got[2].Result != mock8x8.Exhausted {
		t.Fatalf("attempts %v ending %q, want [3 4 5] ending exhausted", nums, got[len(got)-1].Result)
	}
	if d := got[0].StartedAt.Sub(t0); d != 11*time.Second {
		t.Errorf("attempt 3 started at %v, want 11s: its due time", d)
	}
	if d := got[1].ScheduledAt.Sub(got[0].FinishedAt); d != 30*time.Second {
		t.Errorf("attempt 4 due %v after attempt 3 ended, want 30s", d)
	}
	if d := got[2].ScheduledAt.Sub(got[1].FinishedAt); d != 90*time.Second {
		t.Errorf("attempt 5 due %v after attempt 4 ended, want 90s", d)
	}
	if s := journal.Stats(); s.Events != 1 || s.Exhausted != 1 || s.Attempts != 3 || !s.Balanced() {
		t.Errorf("journal %+v, want the one event exhausted after 3 recorded attempts", s)
	}
}

// gatedAttempter blocks each attempt until released (or cancelled) and answers 200.
type gatedAttempter struct {
	started chan string
	release chan struct{}
}

func (g *gatedAttempter) Send(ctx context.Context, ev mock8x8.Event) mock8x8.Outcome {
	now := time.Now()
	g.started <- ev.ID
	select {
	case <-g.release:
		return mock8x8.Outcome{Status: 200, Started: now, Finished: time.Now()}
	case <-ctx.Done():
		return mock8x8.Outcome{Error: mock8x8.ErrOther, Message: ctx.Err().Error(), Started: now, Finished: time.Now()}
	}
}

func TestEngine_ShutdownFinishesAttemptsInFlightAndStartsNoMore(t *testing.T) {
	t.Parallel()
	g := &gatedAttempter{started: make(chan string, 4), release: make(chan struct{})}
	eng, err := mock8x8.NewEngine(g, mock8x8.EngineConfig{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"in-flight", "queued"} {
		if err := eng.Submit(mock8x8.Event{ID: id, Body: "{}"}); err != nil {
			t.Fatal(err)
		}
	}
	if id := <-g.started; id != "in-flight" {
		t.Fatalf("first attempt was for %q, want in-flight", id)
	}
	done := make(chan error, 1)
	go func() { done <- eng.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while an attempt was still in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v, want nil once the attempt in flight finished", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return within 5s of the attempt finishing")
	}
	select {
	case id := <-g.started:
		t.Fatalf("an attempt for %q started after Shutdown", id)
	default:
	}
	s := eng.Journal().Stats()
	if s.Delivered != 1 || s.Pending != 1 || s.Attempts != 1 || !s.Balanced() {
		t.Fatalf("journal %+v, want the in-flight event delivered and recorded, the queued one pending", s)
	}
	if err := eng.Submit(mock8x8.Event{ID: "late", Body: "{}"}); !errors.Is(err, mock8x8.ErrEngineClosed) {
		t.Fatalf("Submit after Shutdown: %v, want ErrEngineClosed", err)
	}
}

func TestEngine_ShutdownCancelsWhatIsStillRunningWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	g := &gatedAttempter{started: make(chan string, 1), release: make(chan struct{})}
	eng, err := mock8x8.NewEngine(g, mock8x8.EngineConfig{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Submit(mock8x8.Event{ID: "stuck", Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	<-g.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := eng.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the context's deadline error", err)
	}
	if s := eng.Journal().Stats(); s.Attempts != 0 || s.Pending != 1 || !s.Balanced() {
		t.Fatalf("journal %+v, want the cancelled attempt unrecorded and its event pending", s)
	}
}
