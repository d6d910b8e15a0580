package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/load"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// maxStreamRate bounds a stream: each click is stored before it is sent.
const maxStreamRate = 5000

// streamRequest is POST /v1/stream.
type streamRequest struct {
	Rate     *float64 `json:"rate"`
	Profile  string   `json:"profile"`
	HalfLife string   `json:"halfLife"`
	Seed     *uint64  `json:"seed"`
	To       string   `json:"to"`
	Auth     string   `json:"auth"`
}

// stream is a running click stream.
type stream struct {
	Profile string
	Started time.Time
	Seed    uint64
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	Sent    int64 // guarded by mu
}

func (st *stream) stop() {
	st.cancel()
	<-st.done
}

// postStream starts (or replaces) the click stream.
func (s *Server) postStream(w http.ResponseWriter, r *http.Request) {
	var req streamRequest
	if err := decodeBody(r, &req); err != nil {
		bodyFail(w, err, `{"rate": 20, "profile": "campaign", "halfLife": "5m"}`)
		return
	}
	if req.Rate == nil || !(*req.Rate > 0) || *req.Rate > maxStreamRate {
		controlFail(w, http.StatusBadRequest, "rate", "rate: give clicks per second, more than 0 and at most %d", maxStreamRate)
		return
	}
	var profile load.Profile
	switch req.Profile {
	case "", "constant":
		if req.HalfLife != "" {
			controlFail(w, http.StatusBadRequest, "halfLife", "halfLife applies only to the campaign profile")
			return
		}
		profile = load.Constant{PerSecond: *req.Rate}
	case "campaign":
		h := 5 * time.Minute
		if req.HalfLife != "" {
			d, err := time.ParseDuration(req.HalfLife)
			if err != nil || d <= 0 {
				controlFail(w, http.StatusBadRequest, "halfLife", "halfLife %q: give a positive duration such as \"5m\"", req.HalfLife)
				return
			}
			h = d
		}
		profile = load.Campaign{Peak: *req.Rate, HalfLife: h}
	default:
		controlFail(w, http.StatusBadRequest, "profile", "profile %q: use constant or campaign", req.Profile)
		return
	}
	targets, ok := s.targets(w, r, req.To, req.Auth)
	if !ok {
		return
	}
	seed := seedOrRandom(req.Seed)
	ctx, cancel := context.WithCancel(context.Background())
	st := &stream{Profile: profile.String(), Started: s.cfg.Clock.Now().UTC(), Seed: seed, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	old := s.stream
	s.stream = st
	closed := s.closed
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if closed {
		cancel()
		controlFail(w, http.StatusServiceUnavailable, "", "the server is shutting down")
		return
	}
	go s.runStream(ctx, st, profile, targets)
	s.log.Info("click stream started", "profile", st.Profile)
	writeJSON(w, http.StatusAccepted, st.view()) // the stream runs already: read it under its lock
}

// deleteStream stops the click stream.
func (s *Server) deleteStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.stream
	s.stream = nil
	s.mu.Unlock()
	if st == nil {
		controlFail(w, http.StatusNotFound, "", "no click stream is running")
		return
	}
	st.stop()
	writeJSON(w, http.StatusOK, st.view())
}

// getStream serves GET /v1/stream: the current stream, with how many clicks it has sent
// and whether it still runs (a campaign ends when its clicks run out).
func (s *Server) getStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.stream
	s.mu.Unlock()
	if st == nil {
		controlFail(w, http.StatusNotFound, "", "no click stream is running; start one with POST /v1/stream")
		return
	}
	writeJSON(w, http.StatusOK, st.view())
}

// streamView is a stream as the control API shows it.
type streamView struct {
	Profile string    `json:"profile"`
	Started time.Time `json:"started"`
	Seed    uint64    `json:"seed"`
	Sent    int64     `json:"sent"`
	Running bool      `json:"running"`
}

func (st *stream) view() streamView {
	running := true
	select {
	case <-st.done:
		running = false
	default:
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return streamView{Profile: st.Profile, Started: st.Started, Seed: st.Seed, Sent: st.Sent, Running: running}
}

// runStream delivers the profile's clicks in batches every 100 ms until cancelled or the
// profile ends.
func (s *Server) runStream(ctx context.Context, st *stream, p load.Profile, targets []store.Target) {
	defer close(st.done)
	gen := mock8x8.NewGenerator(st.Seed, st.Started)
	tick := s.cfg.Clock.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
		elapsed := s.cfg.Clock.Since(st.Started)
		var batch []mock8x8.Event
		for {
			off, ok := p.Offset(n)
			if !ok {
				if len(batch) == 0 {
					return // a campaign whose clicks have all come
				}
				break
			}
			if off > elapsed {
				break
			}
			click := gen.NextClick()
			click.OccurredAt = st.Started.Add(off).UTC().Truncate(time.Second) // the click just happened, as the profile paces it
			batch = append(batch, click.Event())
			n++
		}
		if len(batch) == 0 {
			continue
		}
		if err := s.deliver(ctx, batch, targets); err != nil {
			s.log.Error("the click stream could not store its clicks; stopping it", "error", err)
			return
		}
		st.mu.Lock()
		st.Sent += int64(len(batch))
		st.mu.Unlock()
	}
}
