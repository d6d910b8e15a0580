package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func attempt(id string, n int, result mock8x8.Result, status int, at time.Time) mock8x8.Attempt {
	a := mock8x8.Attempt{EventID: id, Attempt: n, ScheduledAt: at, StartedAt: at, FinishedAt: at.Add(time.Millisecond), Status: status, Result: result}
	if result == mock8x8.Retry {
		a.NextAttemptAt = at.Add(10 * time.Second)
	}
	return a
}

func TestStore_EventsAreAddedAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := open(t, "")
	target := store.Target{URL: "http://127.0.0.1:8080/webhooks/8x8"}
	a, b := mock8x8.Event{ID: "a", Body: "{}"}, mock8x8.Event{ID: "b", Body: "{}"}
	if _, err := st.AddEvents(ctx, []mock8x8.Event{a}, []store.Target{target}, t0); err != nil {
		t.Fatal(err)
	}
	_, err := st.AddEvents(ctx, []mock8x8.Event{b, a}, []store.Target{target}, t0)
	if err == nil || !strings.Contains(err.Error(), `"a" was already sent`) {
		t.Fatalf("adding eventId a again: %v, want an error naming it", err)
	}
	s, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 1 || s.Pending != 1 || !s.Balanced() {
		t.Errorf("after the refused batch: %+v, want only event a, pending (b must not be half-added)", s)
	}
}

func TestStore_AnEventsResultIsItsLeastSettledDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := open(t, "")
	one, two := store.Target{URL: "http://127.0.0.1:1/one"}, store.Target{URL: "http://127.0.0.1:1/two", Authorization: "Bearer x"}
	if one.Key() == two.Key() {
		t.Fatal("different targets share a key")
	}
	if _, err := st.AddEvents(ctx, []mock8x8.Event{{ID: "e", Body: "{}"}}, []store.Target{one, two}, t0); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.RecordAttempt(ctx, one.Key(), attempt("e", 1, mock8x8.Delivered, 200, t0)))
	must(st.RecordAttempt(ctx, two.Key(), attempt("e", 1, mock8x8.Retry, 503, t0)))
	check := func(what string, want store.Stats) {
		t.Helper()
		got, err := st.Stats(ctx)
		must(err)
		if got != want || !got.Balanced() {
			t.Errorf("%s: stats %+v, want %+v", what, got, want)
		}
	}
	check("one delivered, one retrying", store.Stats{
		Stats:      mock8x8.Stats{Events: 1, Pending: 1, Attempts: 2},
		Deliveries: store.Counts{Total: 2, Delivered: 1, Pending: 1},
	})
	pending, err := st.PendingDeliveries(ctx)
	must(err)
	if len(pending) != 1 || pending[0].Target != two || pending[0].NextAttempt != 2 || !pending[0].Due.Equal(t0.Add(10*time.Second)) ||
		!pending[0].FirstStarted.Equal(t0) {
		t.Fatalf("pending deliveries %+v, want the one to %s at attempt 2, due 10s after its first attempt", pending, two.URL)
	}
	must(st.RecordAttempt(ctx, two.Key(), attempt("e", 2, mock8x8.Exhausted, 500, t0.Add(10*time.Second))))
	check("one delivered, one exhausted", store.Stats{
		Stats:      mock8x8.Stats{Events: 1, Exhausted: 1, Attempts: 3},
		Deliveries: store.Counts{Total: 2, Delivered: 1, Exhausted: 1},
	})
	list, err := st.Events(ctx, "exhausted", 10, false)
	must(err)
	if len(list) != 1 || list[0].Result != "exhausted" || len(list[0].Deliveries) != 2 || list[0].Event != nil {
		t.Errorf("events with result exhausted: %+v, want event e with both deliveries and no body", list)
	}
	if list, _ := st.Events(ctx, "delivered", 10, false); len(list) != 0 {
		t.Errorf("events with result delivered: %+v, want none: e's other delivery was lost", list)
	}
}

func TestStore_AnAttemptMadeAgainAfterACrashReplacesTheFirstRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st := open(t, path)
	target := store.Target{URL: "http://127.0.0.1:1/hook"}
	if _, err := st.AddEvents(ctx, []mock8x8.Event{{ID: "e", Type: mock8x8.EventTypeClick, Body: `{"payload":{"eventId":"e"}}`}}, []store.Target{target}, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordAttempt(ctx, target.Key(), attempt("e", 1, mock8x8.Retry, 503, t0)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A new process on the same file: attempt 2 is made, then made again.
	st = open(t, path)
	for _, status := range []int{502, 200} {
		res := mock8x8.Retry
		if status == 200 {
			res = mock8x8.Delivered
		}
		if err := st.RecordAttempt(ctx, target.Key(), attempt("e", 2, res, status, t0.Add(10*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Event(ctx, "e", true)
	if err != nil {
		t.Fatal(err)
	}
	atts := v.Deliveries[0].Attempts
	if v.Result != "delivered" || len(atts) != 2 || atts[1].Status != 200 || string(v.Event) != `{"payload":{"eventId":"e"}}` {
		t.Errorf("event after reopening: result %s, %d attempts (last %+v), body %s; want delivered, 2 attempts, the newer record of attempt 2", v.Result, len(atts), atts[len(atts)-1], v.Event)
	}
	for _, a := range atts {
		if a.EventID != "e" || a.URL != target.URL {
			t.Errorf("attempt %d reads eventId %q, url %q; want e and %s, as in the journal's records", a.Attempt, a.EventID, a.URL, target.URL)
		}
	}
	if _, err := st.Event(ctx, "nope", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown event: %v, want ErrNotFound", err)
	}
}

func TestStore_OpenRefusesAFileThatIsNotADatabase(t *testing.T) {
	t.Parallel()
	if _, err := store.Open(filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil || !strings.Contains(err.Error(), "writable directory") {
		t.Errorf("opening in a missing directory: %v, want an error saying what to check", err)
	}
}
