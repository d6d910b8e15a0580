package suites

import (
	"fmt"
	"strings"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// Defaults a Target falls back to.
const (
	DefaultTimeout    = 5 * time.Second
	DefaultLatencyP99 = time.Second
	DefaultTimeScale  = 0.01
)

// Target is the receiver under test and how to judge it.
type Target struct {
	// URL is the receiver's webhook URL.
	URL string
	// Auth is the Authorization value the receiver expects; empty skips the auth checks.
	Auth string
	// ObserveURL is a URL template with {eventId}: GET it for how many times the receiver
	// applied an event (200 with a JSON integer field "count"; 404 means 0).
	ObserveURL string
	// ObserveCmd is a shell command with {eventId} (also in $EVENT_ID) that prints the
	// count; an alternative to ObserveURL.
	ObserveCmd string
	// Timeout is the sender's per-attempt timeout, as 8x8's.
	Timeout time.Duration
	// LatencyP99 is the p99 ack latency the receiver must keep.
	LatencyP99 time.Duration
	// TimeScale multiplies 8x8's retry intervals in the retry checks.
	TimeScale float64
	// Seed makes the generated events reproducible; 0 picks one from the clock.
	Seed uint64
}

// FieldError names the setting of a Target that is wrong, so the CLI can name its flag.
type FieldError struct {
	Field   string // "URL", "ObserveURL", ...
	Problem string
	Example string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %s (e.g. %s)", e.Field, e.Problem, e.Example)
}

// WithDefaults returns t with every zero setting given its default.
func (t Target) WithDefaults() Target {
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	if t.LatencyP99 == 0 {
		t.LatencyP99 = DefaultLatencyP99
	}
	if t.TimeScale == 0 {
		t.TimeScale = DefaultTimeScale
	}
	return t
}

// Validate reports the first setting that cannot work, as a *FieldError.
func (t Target) Validate() error {
	if err := mock8x8.CheckURL(t.URL); err != nil {
		return &FieldError{Field: "URL", Problem: fmt.Sprintf("%q %v", t.URL, err), Example: "http://127.0.0.1:8080/webhooks/8x8"}
	}
	if t.ObserveURL != "" && t.ObserveCmd != "" {
		return &FieldError{Field: "ObserveURL", Problem: "and ObserveCmd are both set; give one way to observe", Example: "http://127.0.0.1:8080/observed/{eventId}"}
	}
	if t.ObserveURL != "" {
		if !strings.Contains(t.ObserveURL, "{eventId}") {
			return &FieldError{Field: "ObserveURL", Problem: fmt.Sprintf("%q has no {eventId} placeholder", t.ObserveURL), Example: "http://127.0.0.1:8080/observed/{eventId}"}
		}
		if err := mock8x8.CheckURL(strings.ReplaceAll(t.ObserveURL, "{eventId}", "x")); err != nil {
			return &FieldError{Field: "ObserveURL", Problem: fmt.Sprintf("%q %v", t.ObserveURL, err), Example: "http://127.0.0.1:8080/observed/{eventId}"}
		}
	}
	if t.ObserveCmd != "" && !strings.Contains(t.ObserveCmd, "{eventId}") && !strings.Contains(t.ObserveCmd, "EVENT_ID") {
		return &FieldError{Field: "ObserveCmd", Problem: fmt.Sprintf("%q uses neither {eventId} nor $EVENT_ID", t.ObserveCmd), Example: `psql -Atc "select count(*) from clicks where event_id = '{eventId}'"`}
	}
	if t.Timeout < 0 {
		return &FieldError{Field: "Timeout", Problem: fmt.Sprintf("%s is negative", t.Timeout), Example: "5s"}
	}
	if t.LatencyP99 < 0 {
		return &FieldError{Field: "LatencyP99", Problem: fmt.Sprintf("%s is negative", t.LatencyP99), Example: "1s"}
	}
	if t.TimeScale < 0 || t.TimeScale > 1 {
		return &FieldError{Field: "TimeScale", Problem: fmt.Sprintf("%g is outside (0, 1]", t.TimeScale), Example: "0.01"}
	}
	return nil
}
