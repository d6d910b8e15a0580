package suites

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestURLObserver(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/observed/") {
		case "twice":
			_, _ = w.Write([]byte(`{"eventId":"twice","count":2}`))
		case "missing":
			w.WriteHeader(http.StatusNotFound)
		case "nocount":
			_, _ = w.Write([]byte(`{"applied":true}`))
		case "float":
			_, _ = w.Write([]byte(`{"count":1.5}`))
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	o := newObserver(Target{ObserveURL: srv.URL + "/observed/{eventId}", Timeout: time.Second})
	tests := []struct {
		id      string
		want    int
		wantErr string
	}{
		{"twice", 2, ""},
		{"missing", 0, ""},
		{"nocount", 0, `without a JSON integer field "count"`},
		{"float", 0, "not an integer"},
		{"error", 0, "answered 500"},
	}
	for _, tt := range tests {
		n, err := o.Count(context.Background(), tt.id)
		switch {
		case tt.wantErr == "" && (err != nil || n != tt.want):
			t.Errorf("%s: Count = %d, %v; want %d", tt.id, n, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.id, err, tt.wantErr)
		}
	}
}

func TestCmdObserver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmd     string
		want    int
		wantErr string
	}{
		{`echo 3`, 3, ""},
		{`test "$EVENT_ID" = "ev-1" && echo 1`, 1, ""},
		{`test "{eventId}" = "ev-1" && printf ' 7\n'`, 7, ""},
		{`true`, 0, ""}, // nothing printed: never applied
		{`echo many`, 0, "want an integer"},
		{`echo oops >&2; exit 3`, 0, "oops"},
	}
	for _, tt := range tests {
		o := newObserver(Target{ObserveCmd: tt.cmd, Timeout: 5 * time.Second})
		n, err := o.Count(context.Background(), "ev-1")
		switch {
		case tt.wantErr == "" && (err != nil || n != tt.want):
			t.Errorf("%s: Count = %d, %v; want %d", tt.cmd, n, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.cmd, err, tt.wantErr)
		}
	}
}

// slowObserver applies an event some time after the ack, as async receivers do.
type slowObserver struct {
	appliedAt time.Time
	calls     atomic.Int32
}

func (s *slowObserver) Describe() string { return "slow" }
func (s *slowObserver) Count(context.Context, string) (int, error) {
	s.calls.Add(1)
	if time.Now().After(s.appliedAt) {
		return 1, nil
	}
	return 0, nil
}

func TestSettle_WaitsForAsynchronousEffects(t *testing.T) {
	t.Parallel()
	o := &slowObserver{appliedAt: time.Now().Add(200 * time.Millisecond)}
	n, err := settle(context.Background(), o, "x", 1, 3*time.Second, 50*time.Millisecond)
	if err != nil || n != 1 {
		t.Fatalf("settle = %d, %v; want 1 once the effect lands", n, err)
	}
	counts, err := settleAll(context.Background(), o, []string{"a", "b"}, 1, 3*time.Second, 50*time.Millisecond)
	if err != nil || counts["a"] != 1 || counts["b"] != 1 {
		t.Fatalf("settleAll = %v, %v; want 1 each", counts, err)
	}
	// An effect that never lands is reported as 0 after the wait, not waited on forever.
	never := &slowObserver{appliedAt: time.Now().Add(time.Hour)}
	began := time.Now()
	if n, _ := settle(context.Background(), never, "x", 1, 300*time.Millisecond, 50*time.Millisecond); n != 0 || time.Since(began) > 2*time.Second {
		t.Fatalf("settle on a missing effect = %d after %s; want 0 after about 300ms", n, time.Since(began))
	}
}

func TestTarget_Validate(t *testing.T) {
	t.Parallel()
	ok := Target{URL: "http://127.0.0.1:8080/webhooks/8x8"}
	tests := []struct {
		name  string
		t     Target
		field string
	}{
		{"ok", ok, ""},
		{"ftp", Target{URL: "ftp://x"}, "URL"},
		{"empty", Target{}, "URL"},
		{"observe_without_placeholder", Target{URL: ok.URL, ObserveURL: "http://x/observed"}, "ObserveURL"},
		{"both_observers", Target{URL: ok.URL, ObserveURL: "http://x/{eventId}", ObserveCmd: "echo {eventId}"}, "ObserveURL"},
		{"cmd_without_placeholder", Target{URL: ok.URL, ObserveCmd: "echo 1"}, "ObserveCmd"},
		{"scale_above_1", Target{URL: ok.URL, TimeScale: 2}, "TimeScale"},
	}
	for _, tt := range tests {
		err := tt.t.WithDefaults().Validate()
		fe, _ := err.(*FieldError)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.field != "" && (fe == nil || fe.Field != tt.field):
			t.Errorf("%s: error %v, want a FieldError on %s", tt.name, err, tt.field)
		}
	}
}
