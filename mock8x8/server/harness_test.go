package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// account is a valid 8x8 accountId: 32 hex digits.
const account = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

// fast is 8x8's schedule at 1/100: retries after 10, 100, 300 and 900 ms.
var fast = mock8x8.DefaultSchedule().Scaled(0.01)

// mock is a running server under test, with its log.
type mock struct {
	*server.Server
	URL   string
	Store *store.Store
	log   *syncBuffer
}

// startMock starts a server on a loopback httptest listener over st (a fresh in-memory
// store when nil); the test stops both.
func startMock(t *testing.T, cfg server.Config, st *store.Store) *mock {
	t.Helper()
	if st == nil {
		var err error
		if st, err = store.Open(""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	logs := &syncBuffer{}
	cfg.Store = st
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if len(cfg.Schedule.Intervals) == 0 {
		cfg.Schedule = fast
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &mock{Server: srv, URL: hs.URL, Store: st, log: logs}
}

// call makes one API request and returns the status and the raw answer; key, when not
// empty, goes as "Authorization: Bearer <key>".
func (m *mock) call(t *testing.T, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, m.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// stats reads GET /v1/stats.
func (m *mock) stats(t *testing.T, key string) store.Stats {
	t.Helper()
	code, body := m.call(t, "GET", "/v1/stats", key, nil)
	if code != 200 {
		t.Fatalf("GET /v1/stats: %d %s", code, body)
	}
	var s store.Stats
	mustJSON(t, body, &s)
	if !s.Balanced() {
		t.Fatalf("stats do not add up: %s", body)
	}
	return s
}

// waitStats polls the stats until ok accepts them, for at most 10 s.
func (m *mock) waitStats(t *testing.T, key string, what string, ok func(store.Stats) bool) store.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := m.stats(t, key)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the stats are %+v, want %s", s, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("answer is not the JSON expected (%v): %s", err, b)
	}
}

// delivery is one request a receiver got.
type delivery struct {
	EventID, Auth, UserAgent, ContentType, Body string
	At                                          time.Time
}

// receiver is a webhook receiver that records every request and answers with
// answer(eventId, attempt number of that event).
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []delivery
	counts map[string]int
}

func startReceiver(t *testing.T, answer func(eventID string, n int) int) *receiver {
	t.Helper()
	rc := &receiver{counts: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Payload struct {
				EventID string `json:"eventId"`
			} `json:"payload"`
		}
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.counts[ev.Payload.EventID]++
		n := rc.counts[ev.Payload.EventID]
		rc.got = append(rc.got, delivery{EventID: ev.Payload.EventID, Auth: r.Header.Get("Authorization"),
			UserAgent: r.UserAgent(), ContentType: r.Header.Get("Content-Type"), Body: string(body), At: time.Now()})
		rc.mu.Unlock()
		w.WriteHeader(answer(ev.Payload.EventID, n))
	}))
	t.Cleanup(hs.Close)
	rc.URL = hs.URL + "/webhooks/8x8"
	return rc
}

func always(code int) func(string, int) int { return func(string, int) int { return code } }

// deliveries returns a copy of what the receiver got.
func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
