package mock8x8_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// TestEngine_RealTimeScaledSchedule runs the whole schedule at time scale 0.01 against a
// real receiver that always answers 503: exactly 5 attempts, gaps of 10, 100, 300 and
// 900 ms within a tolerance, and no sixth attempt.
func TestEngine_RealTimeScaledSchedule(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: srv.URL + "/webhooks/8x8"})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	var records []mock8x8.Attempt
	journal := mock8x8.NewJournal(mock8x8.RecorderFunc(func(a mock8x8.Attempt) { records = append(records, a) }))
	eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{Schedule: mock8x8.DefaultSchedule().Scaled(0.01), Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	_ = eng.Submit(mock8x8.NewGenerator(9, t0).Next())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.Wait(ctx); err != nil {
		t.Fatalf("not finished within 10s: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // a sixth attempt, if any, would come in this window
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 5 {
		t.Fatalf("receiver saw %d attempts, want exactly 5", len(arrivals))
	}
	// The gap between arrivals is the interval plus one attempt's round trip on loopback;
	// the upper tolerance absorbs a noisy 2-core machine.
	const tolerance = 40 * time.Millisecond
	for i, want := range []time.Duration{10, 100, 300, 900} {
		want *= time.Millisecond
		gap := arrivals[i+1].Sub(arrivals[i])
		if gap < want || gap > want+tolerance {
			t.Errorf("gap %d→%d is %v, want %v (+%v)", i+1, i+2, gap, want, tolerance)
		}
	}
	// On the real clock too, a record's nextAttemptAt is exactly the next one's scheduledAt:
	// scripts join the records on it.
	for i := 0; i+1 < len(records); i++ {
		// Compared as written: Equal would use the monotonic readings, which JSON drops.
		if next, sched := records[i].NextAttemptAt, records[i+1].ScheduledAt; next.Format(time.RFC3339Nano) != sched.Format(time.RFC3339Nano) {
			t.Errorf("attempt %d says the next is due at %s, attempt %d says it was scheduled at %s", i+1, next.Format(time.RFC3339Nano), i+2, sched.Format(time.RFC3339Nano))
		}
	}
	if s := journal.Stats(); s.Exhausted != 1 || s.Attempts != 5 || !s.Balanced() {
		t.Errorf("journal %+v, want 1 exhausted event after 5 attempts", s)
	}
}
