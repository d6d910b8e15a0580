package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

func TestServer_ANewServerOnTheSameDatabaseResumesPendingRetries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mock8x8.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// 503 to the first three attempts, then 200; retries 50 ms, 500 ms, 1.5 s apart.
	rc := startReceiver(t, func(_ string, n int) int { return map[bool]int{true: 503, false: 200}[n <= 3] })
	sched := mock8x8.DefaultSchedule().Scaled(0.05)
	first, err := server.New(server.Config{Store: st, Schedule: sched})
	if err != nil {
		t.Fatal(err)
	}
	events := make([]mock8x8.Event, 3)
	gen := mock8x8.NewGenerator(9, time.Now())
	for i := range events {
		events[i] = gen.Next()
	}
	if err := postVerbatim(first, events, rc.URL); err != nil {
		t.Fatal(err)
	}
	// Stop once every event's attempt 2 is stored (attempt 3 is due 500 ms later). The
	// receiver's count is not enough: an answered attempt not yet stored is cancelled by
	// Close and made again, which this test does not want.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s, err := st.Stats(context.Background()); err == nil && s.Attempts >= 6 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	first.Close()
	stopped := time.Now()
	st.Close()
	if n := len(rc.deliveries()); n != 6 {
		t.Fatalf("%d attempts before the stop, want 6 (two per event)", n)
	}

	st2, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	mid, err := st2.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if mid.Events != 3 || mid.Pending != 3 || mid.Attempts != 6 || !mid.Balanced() {
		t.Fatalf("stored after the stop: %+v, want 3 events pending after 6 attempts", mid)
	}
	m2 := startMock(t, server.Config{Schedule: sched}, st2)
	s := m2.waitStats(t, "", "3 events delivered", func(s store.Stats) bool { return s.Delivered == 3 })
	if s.Attempts != 12 || len(rc.deliveries()) != 12 {
		t.Errorf("%d attempts stored and %d received, want 12 and 12: every event 4 attempts, none lost or repeated", s.Attempts, len(rc.deliveries()))
	}
	for _, ev := range events {
		v := getEvent(t, m2, "", ev.ID)
		atts := v.Deliveries[0].Attempts
		if len(atts) != 4 || v.Result != "delivered" {
			t.Errorf("event %s: %d attempts, result %s; want 4 and delivered", ev.ID, len(atts), v.Result)
			continue
		}
		// Attempt 3 kept its due time across the restart: 500 ms after attempt 2 ended.
		if gap := atts[2].ScheduledAt.Sub(atts[1].FinishedAt); gap < 499*time.Millisecond || gap > 501*time.Millisecond {
			t.Errorf("event %s: attempt 3 due %v after attempt 2, want 500ms", ev.ID, gap)
		}
		if late := atts[2].StartedAt.Sub(atts[2].ScheduledAt); late < 0 || late > 300*time.Millisecond || atts[2].StartedAt.Before(stopped) {
			t.Errorf("event %s: attempt 3 started %v after its due time (and %v after the stop), want at its due time, after the restart",
				ev.ID, late, atts[2].StartedAt.Sub(stopped))
		}
	}
}

// postVerbatim hands events to a server directly through its handler.
func postVerbatim(srv *server.Server, events []mock8x8.Event, to string) error {
	var b strings.Builder
	b.WriteString("[")
	for i, ev := range events {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(ev.Body)
	}
	b.WriteString("]")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/events?to="+to, strings.NewReader(b.String())))
	if rec.Code != 202 {
		return fmt.Errorf("POST /v1/events: %d %s", rec.Code, rec.Body)
	}
	return nil
}

func TestServer_ShutdownLetsAttemptsInFlightFinishAndStoresThem(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := startReceiver(t, func(string, int) int { <-release; return 200 })
	m := startMock(t, server.Config{}, nil)
	a := postClicks(t, m, "", map[string]any{"count": 2, "to": slow.URL})
	deadline := time.Now().Add(5 * time.Second)
	for len(slow.deliveries()) < 2 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v, want the attempts in flight to finish", err)
	}
	s, err := m.Store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Delivered != 2 || s.Attempts != 2 {
		t.Errorf("after Shutdown the store has %+v, want both in-flight attempts finished and stored as delivered (%v)", s, a.EventIDs)
	}
}

func TestMetrics_CountEventsAttemptsPendingAndLatency(t *testing.T) {
	t.Parallel()
	rc := startReceiver(t, func(_ string, n int) int { return map[bool]int{true: 503, false: 200}[n == 1] })
	m := startMock(t, server.Config{APIKey: "k"}, nil)
	postClicks(t, m, "k", map[string]any{"count": 4, "to": rc.URL})
	m.waitStats(t, "k", "4 delivered", func(s store.Stats) bool { return s.Delivered == 4 })
	code, body := m.call(t, "GET", "/metrics", "", nil)
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	metrics := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(name, "clickcheck_") {
			t.Errorf("metric %q is not prefixed clickcheck_", name)
		}
		metrics[name] = value
	}
	for name, want := range map[string]string{
		"clickcheck_events_generated_total":                                "4",
		`clickcheck_attempts_total{result="retry",status_class="5xx"}`:     "4",
		`clickcheck_attempts_total{result="delivered",status_class="2xx"}`: "4",
		"clickcheck_pending_retries":                                       "0",
		"clickcheck_delivery_latency_seconds_count":                        "8",
		`clickcheck_delivery_latency_seconds_bucket{le="+Inf"}`:            "8",
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %q, want %s", name, got, want)
		}
	}
	if _, ok := metrics["clickcheck_go_goroutines"]; !ok {
		t.Errorf("the runtime's metrics are missing (clickcheck_go_goroutines)")
	}
}
