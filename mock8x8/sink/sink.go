// Package sink is a loopback webhook receiver that records every delivery it gets and
// answers by a policy: the receiving end of `clickcheck send --sink`, and of tests that
// need to see exactly what the mock sender delivered and when.
package sink

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Path is where the sink receives webhooks.
const Path = "/webhooks/8x8"

// maxBody bounds what the sink reads of one request.
const maxBody = 16 << 20

// Delivery is one request the sink received.
type Delivery struct {
	// EventID is payload.eventId of the body, or "" when the body has none.
	EventID string
	// Nth counts deliveries of this EventID, 1 for the first.
	Nth int
	// At is when the request arrived, on the wall clock (monotonic reading kept).
	At time.Time
	// Header is the request's header.
	Header http.Header
	// Body is the request body as received.
	Body []byte
	// Status is what the sink answered.
	Status int
}

// Policy decides the status for a delivery; the sink answers it with an empty body.
// A policy may also block (for example until its request's context is done) to
// simulate a slow receiver.
type Policy func(r *http.Request, d Delivery) int

// Always answers every delivery with status.
func Always(status int) Policy {
	return func(*http.Request, Delivery) int { return status }
}

// FlakyFirst answers 503 to the first delivery of every n-th distinct event and 200
// otherwise, so some events need exactly one retry.
func FlakyFirst(n int) Policy {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(_ *http.Request, d Delivery) int {
		mu.Lock()
		defer mu.Unlock()
		idx, ok := seen[d.EventID]
		if !ok {
			idx = len(seen) + 1
			seen[d.EventID] = idx
		}
		if n > 0 && idx%n == 0 && d.Nth == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
}

// Sink is a running loopback receiver.
type Sink struct {
	policy   Policy
	server   *http.Server
	listener net.Listener
	done     chan struct{}

	mu         sync.Mutex
	deliveries []Delivery
	perEvent   map[string]int
	notify     chan struct{}
}

// Start listens on a free 127.0.0.1 port and serves until Close.
func Start(policy Policy) (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sink: listening on 127.0.0.1: %w", err)
	}
	s := &Sink{policy: policy, listener: ln, done: make(chan struct{}), perEvent: map[string]int{}, notify: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, s.receive)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.server.Serve(ln) // returns when Close is called

	}()
	return s, nil
}

// URL is the webhook URL to deliver to.
func (s *Sink) URL() string { return "http://" + s.listener.Addr().String() + Path }

// Close stops the sink, cutting any request a policy still holds.
func (s *Sink) Close() {
	_ = s.server.Close()
	<-s.done
}

func (s *Sink) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var probe struct {
		Payload struct {
			EventID string `json:"eventId"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(body, &probe) // bodies that are not events are recorded under ""
	s.mu.Lock()
	s.perEvent[probe.Payload.EventID]++
	d := Delivery{EventID: probe.Payload.EventID, Nth: s.perEvent[probe.Payload.EventID], At: time.Now(), Header: r.Header.Clone(), Body: body}
	s.mu.Unlock()
	d.Status = s.policy(r, d)
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
	w.WriteHeader(d.Status)
}

// Deliveries returns every delivery answered so far, in the order they were answered.
func (s *Sink) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// For returns the deliveries of one event, in order.
func (s *Sink) For(eventID string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Delivery
	for _, d := range s.deliveries {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

// WaitFor blocks until at least n deliveries were answered or timeout passes, and
// reports whether they were.
func (s *Sink) WaitFor(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.deliveries), s.notify
		s.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}
