package mock8x8_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		out  mock8x8.Outcome
		last bool
		want mock8x8.Result
	}{
		{"200", mock8x8.Outcome{Status: 200}, false, mock8x8.Delivered},
		{"204_on_last", mock8x8.Outcome{Status: 204}, true, mock8x8.Delivered},
		{"299", mock8x8.Outcome{Status: 299}, false, mock8x8.Delivered},
		{"100", mock8x8.Outcome{Status: 100}, false, mock8x8.Rejected},
		{"301", mock8x8.Outcome{Status: 301}, false, mock8x8.Rejected},
		{"307_on_last", mock8x8.Outcome{Status: 307}, true, mock8x8.Rejected},
		{"400", mock8x8.Outcome{Status: 400}, false, mock8x8.Retry},
		{"409", mock8x8.Outcome{Status: 409}, false, mock8x8.Retry},
		{"429_on_last", mock8x8.Outcome{Status: 429}, true, mock8x8.Exhausted},
		{"503", mock8x8.Outcome{Status: 503}, false, mock8x8.Retry},
		{"refused", mock8x8.Outcome{Error: mock8x8.ErrRefused}, false, mock8x8.Retry},
		{"timeout_on_last", mock8x8.Outcome{Error: mock8x8.ErrTimeout}, true, mock8x8.Exhausted},
		// A 200 whose body never finished arriving is a failed attempt.
		{"200_then_reset", mock8x8.Outcome{Status: 200, Error: mock8x8.ErrReset}, false, mock8x8.Retry},
	}
	for _, tt := range tests {
		if got := mock8x8.Classify(tt.out, tt.last); got != tt.want {
			t.Errorf("%s: Classify = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestJSONLines_RecordFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	lines := mock8x8.NewJSONLines(&buf)
	j := mock8x8.NewJournal(lines)
	j.Accept(2)
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("SGT", 8*3600))
	next := at.Add(time.Second)
	j.Record(mock8x8.Attempt{EventID: "a", Attempt: 1, ScheduledAt: at, StartedAt: at, FinishedAt: at,
		Error: mock8x8.ErrRefused, Result: mock8x8.Retry, NextAttemptAt: next})
	j.Record(mock8x8.Attempt{EventID: "a", Attempt: 2, ScheduledAt: next, StartedAt: next, FinishedAt: next,
		Status: 200, Result: mock8x8.Delivered})
	if err := lines.WriteSummary(j.Stats()); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != 3 {
		t.Fatalf("got %d lines, want 2 records and a summary:\n%s", len(got), buf.String())
	}
	wantFirst := `{"eventId":"a","attempt":1,"scheduledAt":"2026-03-03T21:06:07.123456789Z","startedAt":"2026-03-03T21:06:07.123456789Z","finishedAt":"2026-03-03T21:06:07.123456789Z","status":0,"error":"refused","result":"retry","nextAttemptAt":"2026-03-03T21:06:08.123456789Z"}`
	if got[0] != wantFirst {
		t.Errorf("first record\n got %s\nwant %s", got[0], wantFirst)
	}
	var second map[string]any
	if err := json.Unmarshal([]byte(got[1]), &second); err != nil {
		t.Fatal(err)
	}
	if second["nextAttemptAt"] != nil || second["status"] != 200.0 || second["error"] != "" {
		t.Errorf("second record %s: want status 200, empty error and a null nextAttemptAt", got[1])
	}
	wantSummary := `{"summary":{"events":2,"delivered":1,"exhausted":0,"rejected":0,"pending":1,"attempts":2}}`
	if got[2] != wantSummary {
		t.Errorf("summary\n got %s\nwant %s", got[2], wantSummary)
	}
}
