// Package server is the long-running mock 8x8: the Webhooks Configuration API as 8x8
// documents it, a control API to send clicks on demand or as a stream, a dashboard, and
// Prometheus metrics. Every delivery follows 8x8's retry schedule, and the state lives in
// a store.Store written before it is acted on, so a server killed mid-schedule resumes
// where it stood.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// Config configures a Server. Store is required.
type Config struct {
	// Store holds webhooks, events, deliveries and attempts.
	Store *store.Store
	// APIKey, when set, is required as "Authorization: Bearer <key>" on the configuration
	// and control APIs. Empty accepts any caller: only for a server on loopback.
	APIKey string
	// Schedule of retries for every delivery; the zero value is 8x8's in real time.
	Schedule mock8x8.Schedule
	// Timeout is the per-attempt timeout; zero means mock8x8.DefaultTimeout.
	Timeout time.Duration
	// Concurrency is how many attempts each target gets at once; zero means
	// mock8x8.DefaultConcurrency.
	Concurrency int
	// UserAgent of every webhook request; empty means mock8x8.DefaultUserAgent.
	UserAgent string
	// Clock paces retries; nil means the wall clock.
	Clock mock8x8.Clock
	// Logger receives one line per notable event; nil means slog.Default(). Secrets
	// never reach it.
	Logger *slog.Logger
}

// Server is the mock 8x8. Create it with New, serve Handler, and Close it.
type Server struct {
	cfg     Config
	store   *store.Store
	log     *slog.Logger
	metrics *metrics
	mux     *http.ServeMux

	mu     sync.Mutex
	lanes  map[string]*lane // by store.Target.Key
	closed bool
	stream *stream
	done   chan struct{} // closed by Shutdown
}

// lane delivers to one target: its own sender (credentials, connections) and retry engine.
type lane struct {
	target store.Target
	sender *mock8x8.Sender
	engine *mock8x8.Engine
	used   time.Time // last given a delivery; guarded by Server.mu
}

// New creates the server and resumes every delivery the store holds without a final
// result, each at its due time (at once if that has passed).
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: Config.Store is required (store.Open(\"\") for memory only)")
	}
	if len(cfg.Schedule.Intervals) == 0 && cfg.Schedule.Scale == 0 && !cfg.Schedule.FromFirstAttempt {
		cfg.Schedule = mock8x8.DefaultSchedule()
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = mock8x8.DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = mock8x8.RealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, lanes: make(map[string]*lane), done: make(chan struct{})}
	s.metrics = newMetrics(s)
	s.routes()
	if err := s.resume(); err != nil {
		s.Close()
		return nil, err
	}
	go s.reapLanes()
	return s, nil
}

// Handler serves the configuration API, the control API, the dashboard and /metrics.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the stream and every engine at once. Attempts in flight are cancelled;
// their deliveries stay pending in the store and are made again by the next server.
func (s *Server) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
}

// Shutdown stops the stream, starts no new attempt, and lets attempts in flight finish
// and be stored until ctx ends; those still running then are cancelled and stay pending
// for the next server (an at-least-once repeat, as with 8x8). The store stays open.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	st := s.stream
	s.stream = nil
	lanes := s.lanes
	s.lanes = map[string]*lane{}
	s.mu.Unlock()
	if st != nil {
		st.stop()
	}
	var wg sync.WaitGroup
	var cancelled atomic.Bool
	for _, l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.engine.Shutdown(ctx) != nil {
				cancelled.Store(true)
			}
			l.sender.Close()
		}()
	}
	wg.Wait()
	if cancelled.Load() {
		return fmt.Errorf("server: attempts still in flight were cancelled and stay pending: %w", ctx.Err())
	}
	return nil
}

// resume hands the store's pending deliveries back to their engines.
func (s *Server) resume() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pending, err := s.store.PendingDeliveries(ctx)
	if err != nil {
		return fmt.Errorf("server: reading pending deliveries: %w", err)
	}
	for _, d := range pending {
		if err := s.enqueue(d); err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		s.log.Info("resumed pending deliveries", "count", len(pending))
	}
	return nil
}

// enqueue gives a stored delivery to its target's engine at its due time.
func (s *Server) enqueue(d store.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock() // held while submitting, so the reaper never closes a lane in use
	l, err := s.laneLocked(d.Target)
	if err != nil {
		return err
	}
	l.used = s.cfg.Clock.Now()
	if d.NextAttempt <= 1 {
		return l.engine.SubmitAt(d.Event, d.Due)
	}
	l.engine.Journal().Accept(1)
	return l.engine.Resume(d.Event, d.NextAttempt, d.FirstStarted, d.Due)
}

// lane returns the target's lane, starting it on first use.
func (s *Server) lane(t store.Target) (*lane, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.laneLocked(t)
}

// laneLocked is lane with s.mu held.
func (s *Server) laneLocked(t store.Target) (*lane, error) {
	key := t.Key()
	if s.closed {
		return nil, errors.New("server: closed")
	}
	if l := s.lanes[key]; l != nil {
		return l, nil
	}
	cfg := mock8x8.SenderConfig{URL: t.URL, Timeout: s.cfg.Timeout, UserAgent: s.cfg.UserAgent, Authorization: t.Authorization, Clock: s.cfg.Clock}
	if o := t.OAuth; o != nil {
		cfg.Authorization = ""
		cfg.OAuth = &mock8x8.OAuthConfig{TokenURL: o.URL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			CredentialsLocation: o.CredentialsLocation, Scopes: strings.Fields(o.Scope)}
	}
	sender, err := mock8x8.NewSender(cfg)
	if err != nil {
		return nil, fmt.Errorf("server: target %s: %w", mock8x8.RedactURL(t.URL), err)
	}
	journal := mock8x8.NewJournal(s.recorder(key))
	eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{
		Schedule: s.cfg.Schedule, Concurrency: s.cfg.Concurrency, Clock: s.cfg.Clock, Journal: journal,
	})
	if err != nil {
		sender.Close()
		return nil, err
	}
	l := &lane{target: t, sender: sender, engine: eng, used: s.cfg.Clock.Now()}
	s.lanes[key] = l
	return l, nil
}

// laneIdle is how long a target's lane may sit with nothing to deliver before it is
// closed: a long-running server sent to many one-off URLs keeps no goroutines for them.
const laneIdle = 2 * time.Minute

// reapLanes closes the lanes that have had nothing to deliver for laneIdle, until the
// server closes.
func (s *Server) reapLanes() {
	tick := s.cfg.Clock.NewTicker(laneIdle / 4)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.Chan():
		}
		s.reapIdle(s.cfg.Clock.Now().Add(-laneIdle))
	}
}

// reapIdle closes the lanes last used before cutoff that have nothing outstanding.
func (s *Server) reapIdle(cutoff time.Time) {
	var idle []*lane
	s.mu.Lock()
	for key, l := range s.lanes {
		if l.used.Before(cutoff) && l.engine.Outstanding() == 0 {
			idle = append(idle, l)
			delete(s.lanes, key)
		}
	}
	s.mu.Unlock()
	for _, l := range idle {
		l.engine.Close()
		l.sender.Close()
	}
}

// recorder writes each attempt to the store before the engine acts on its result, and
// counts it in the metrics.
func (s *Server) recorder(targetKey string) mock8x8.Recorder {
	return mock8x8.RecorderFunc(func(a mock8x8.Attempt) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.store.RecordAttempt(ctx, targetKey, a); err != nil {
			s.log.Error("recording an attempt failed; the delivery may be repeated after a restart",
				"eventId", a.EventID, "attempt", a.Attempt, "error", err)
		}
		s.metrics.attempt(a)
	})
}

// deliver stores the events with a delivery to each target, then hands them to the
// engines. Nothing is sent unless everything was stored.
func (s *Server) deliver(ctx context.Context, events []mock8x8.Event, targets []store.Target) error {
	for _, t := range targets { // a target the sender refuses fails here, before anything is stored
		if _, err := s.lane(t); err != nil {
			return err
		}
	}
	ds, err := s.store.AddEvents(ctx, events, targets, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	s.metrics.generated.Add(float64(len(events)))
	for _, d := range ds {
		if err := s.enqueue(d); err != nil {
			// Stored: the next server resumes it. Say so rather than fail the request.
			s.log.Error("a stored delivery could not be queued; it resumes on restart", "eventId", d.Event.ID, "error", err)
		}
	}
	return nil
}

// pendingRetries counts deliveries waiting in the engines, for the metrics.
func (s *Server) pendingRetries() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lanes {
		n += l.engine.Outstanding()
	}
	return float64(n)
}
