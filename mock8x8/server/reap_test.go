package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

func TestReapIdle_ClosesOnlyLanesWithNothingToDeliver(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	quick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer quick.Close()
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer stuck.Close()
	defer close(release)
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, Schedule: mock8x8.DefaultSchedule().Scaled(0.01)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	gen := mock8x8.NewGenerator(1, time.Now())
	for _, url := range []string{quick.URL, stuck.URL} {
		if err := s.deliver(ctx, []mock8x8.Event{gen.Next()}, []store.Target{{URL: url}}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, _ := s.store.Stats(ctx); st.Delivered == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the quick target's click was not delivered within 5s")
		}
	}
	s.reapIdle(time.Now().Add(time.Hour)) // as if both had been idle for an hour
	s.mu.Lock()
	_, quickKept := s.lanes[store.Target{URL: quick.URL}.Key()]
	_, stuckKept := s.lanes[store.Target{URL: stuck.URL}.Key()]
	s.mu.Unlock()
	if quickKept || !stuckKept {
		t.Fatalf("after reaping: quick target's lane kept %v, stuck one's %v; want only the one with an attempt in flight kept", quickKept, stuckKept)
	}
	// A reaped target is served again on its next event.
	if err := s.deliver(ctx, []mock8x8.Event{gen.Next()}, []store.Target{{URL: quick.URL}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, _ := s.store.Stats(ctx); st.Delivered == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a click to a reaped target was not delivered within 5s")
		}
	}
}
