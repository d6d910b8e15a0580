package mock8x8

import (
	"encoding/json"
	"time"
)

// ErrorClass names why an attempt got no HTTP response.
type ErrorClass string

// The error classes an attempt can end with. An empty class means a response arrived.
const (
	ErrNone    ErrorClass = ""
	ErrRefused ErrorClass = "refused" // nothing listening: connection refused
	ErrReset   ErrorClass = "reset"   // the connection was reset or closed before a full response
	ErrTimeout ErrorClass = "timeout" // no complete response within the per-attempt timeout
	ErrTLS     ErrorClass = "tls"     // TLS handshake or certificate verification failed
	ErrDNS     ErrorClass = "dns"     // the host name did not resolve
	ErrOAuth   ErrorClass = "oauth"   // no OAuth access token could be obtained for the request
	ErrOther   ErrorClass = "other"   // any other transport failure (see the message)
)

// Result is what an attempt means for its event.
type Result string

// Results of an attempt, per 8x8's delivery semantics.
const (
	// Delivered: a 2XX answer; the event is done.
	Delivered Result = "delivered"
	// Retry: a connection error, timeout, 4XX or 5XX with attempts left.
	Retry Result = "retry"
	// Exhausted: the same failures on the last attempt; 8x8 drops the event.
	Exhausted Result = "exhausted"
	// Rejected: a 1XX or 3XX answer; not followed, not retried, the event is lost.
	Rejected Result = "rejected"
)

// Final reports whether no attempt follows this result.
func (r Result) Final() bool { return r != Retry }

// Outcome is what one attempt saw, as data: an HTTP status, or an error class.
type Outcome struct {
	// Status is the HTTP status code, 0 when no response arrived.
	Status int
	// Error classifies a transport failure; empty when a complete response arrived.
	Error ErrorClass
	// Message explains the failure in words (never contains credentials).
	Message string
	// Started and Finished bound the attempt on the sender's clock.
	Started, Finished time.Time
}

// Duration is how long the attempt took.
func (o Outcome) Duration() time.Duration { return o.Finished.Sub(o.Started) }

// Failed reports whether 8x8 would retry this outcome if attempts remained: a transport
// error, a timeout, or a 4XX or 5XX answer.
func (o Outcome) Failed() bool {
	return o.Error != ErrNone || o.Status >= 400
}

// Classify turns an attempt's outcome into its result: 2XX delivered; error, timeout,
// 4XX and 5XX retried while attempts remain, else exhausted; 1XX and 3XX rejected.
func Classify(o Outcome, lastAttempt bool) Result {
	switch {
	case o.Failed():
		if lastAttempt {
			return Exhausted
		}
		return Retry
	case o.Status >= 200 && o.Status < 300:
		return Delivered
	default:
		return Rejected
	}
}

// Attempt is the journal's record of one attempt: the JSON line `send --json` prints.
type Attempt struct {
	EventID     string     `json:"eventId"`
	URL         string     `json:"url,omitempty"`
	Attempt     int        `json:"attempt"`
	ScheduledAt time.Time  `json:"scheduledAt"`
	StartedAt   time.Time  `json:"startedAt"`
	FinishedAt  time.Time  `json:"finishedAt"`
	Status      int        `json:"status"`
	Error       ErrorClass `json:"error"`
	Message     string     `json:"message,omitempty"`
	Result      Result     `json:"result"`
	// NextAttemptAt is when the next attempt is due; zero (JSON null) when none follows.
	NextAttemptAt time.Time `json:"nextAttemptAt"`
}

// Lateness is how long after its due time the attempt started.
func (a Attempt) Lateness() time.Duration { return a.StartedAt.Sub(a.ScheduledAt) }

// MarshalJSON writes times in UTC RFC 3339 with nanoseconds, and a null nextAttemptAt
// when no attempt follows.
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	p := struct {
		plain
		NextAttemptAt *time.Time `json:"nextAttemptAt"`
	}{plain: plain(a)}
	p.ScheduledAt, p.StartedAt, p.FinishedAt = p.ScheduledAt.UTC(), p.StartedAt.UTC(), p.FinishedAt.UTC()
	if !a.NextAttemptAt.IsZero() {
		t := a.NextAttemptAt.UTC()
		p.NextAttemptAt = &t
	}
	return json.Marshal(p)
}
