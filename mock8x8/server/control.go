package server

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// maxClicks bounds one POST /v1/clicks; more is a stream's job.
const maxClicks = 10000

// controlError is the control API's error document: what is wrong, and with which field.
type controlError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func controlFail(w http.ResponseWriter, status int, field, format string, args ...any) {
	writeJSON(w, status, controlError{Error: fmt.Sprintf(format, args...), Field: field})
}

// guard requires the API key, when there is one, on a control API handler: as a Bearer
// header or the dashboard's session cookie. A browser request another site made is refused.
func (s *Server) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := crossOrigin.Check(r); err != nil {
			controlFail(w, http.StatusForbidden, "", "a browser sent this request on behalf of another site (%v); use the dashboard at / or call the API from a script", err)
			return
		}
		if !s.allowed(r) {
			controlFail(w, http.StatusUnauthorized, "", "send the server's API key as \"Authorization: Bearer <key>\", or sign in on the dashboard at /")
			return
		}
		h(w, r)
	}
}

// clicksRequest is POST /v1/clicks.
type clicksRequest struct {
	Count *int    `json:"count"`
	Seed  *uint64 `json:"seed"`
	To    string  `json:"to"`
	Auth  string  `json:"auth"`
}

// postClicks generates clicks and delivers them to every enabled webhook, or to "to".
func (s *Server) postClicks(w http.ResponseWriter, r *http.Request) {
	var req clicksRequest
	if err := decodeBody(r, &req); err != nil {
		bodyFail(w, err, `{"count": 10}`)
		return
	}
	count := 1
	if req.Count != nil {
		count = *req.Count
	}
	if count < 1 || count > maxClicks {
		controlFail(w, http.StatusBadRequest, "count", "count %d: give 1 to %d clicks (POST /v1/stream for a continuous stream)", count, maxClicks)
		return
	}
	targets, ok := s.targets(w, r, req.To, req.Auth)
	if !ok {
		return
	}
	seed := seedOrRandom(req.Seed)
	now := s.cfg.Clock.Now()
	gen := mock8x8.NewGenerator(seed, mock8x8.RecentStart(seed, now, count)) // clicks that have just happened
	events := make([]mock8x8.Event, count)
	ids := make([]string, count)
	for i := range events {
		events[i] = gen.Next()
		ids[i] = events[i].ID
	}
	if err := s.deliver(r.Context(), events, targets); err != nil {
		s.deliverFail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"eventIds": ids, "seed": seed, "deliveries": len(ids) * len(targets)})
}

// postEvents delivers one event or an array of events verbatim.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	events, err := mock8x8.ReadEvents(r.Body, "body")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			controlFail(w, http.StatusRequestEntityTooLarge, "", "%v", errTooLarge)
			return
		}
		controlFail(w, http.StatusBadRequest, "", "%v", err)
		return
	}
	seen := map[string]bool{}
	for i := range events {
		ev := &events[i]
		if !hasEventID(ev.Body) {
			// Inbound messages and delivery receipts have no eventId: the server names
			// them, so they can be looked up like clicks.
			ev.ID = uuid.NewString()
		}
		if seen[ev.ID] {
			controlFail(w, http.StatusBadRequest, fmt.Sprintf("[%d].payload.eventId", i), "eventId %q appears twice in the request; 8x8 gives every event its own", ev.ID)
			return
		}
		seen[ev.ID] = true
	}
	targets, ok := s.targets(w, r, r.URL.Query().Get("to"), r.Header.Get("X-Clickcheck-Auth"))
	if !ok {
		return
	}
	if err := s.deliver(r.Context(), events, targets); err != nil {
		s.deliverFail(w, err)
		return
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"eventIds": ids, "deliveries": len(ids) * len(targets)})
}

// hasEventID reports whether an event's payload carries an eventId string.
func hasEventID(body string) bool {
	var ev struct {
		Payload struct {
			EventID any `json:"eventId"`
		} `json:"payload"`
	}
	if json.Unmarshal([]byte(body), &ev) != nil {
		return false
	}
	id, ok := ev.Payload.EventID.(string)
	return ok && id != ""
}

// targets is where new events go: to, or every enabled configured webhook.
func (s *Server) targets(w http.ResponseWriter, r *http.Request, to, auth string) ([]store.Target, bool) {
	if to != "" {
		if err := mock8x8.CheckURL(to); err != nil {
			controlFail(w, http.StatusBadRequest, "to", "%q %v; e.g. http://127.0.0.1:8080/webhooks/8x8", mock8x8.RedactURL(to), err)
			return nil, false
		}
		if strings.ContainsAny(auth, "\r\n\x00") {
			controlFail(w, http.StatusBadRequest, "auth", "the Authorization value contains a line break or NUL")
			return nil, false
		}
		return []store.Target{{URL: to, Authorization: auth}}, true
	}
	if auth != "" {
		controlFail(w, http.StatusBadRequest, "auth", "auth applies only with \"to\"; configured webhooks use their own httpAuthorization or OAuth")
		return nil, false
	}
	hooks, err := s.store.Webhooks(r.Context(), "")
	if err != nil {
		controlFail(w, http.StatusInternalServerError, "", "reading the configured webhooks failed: %v", err)
		return nil, false
	}
	var targets []store.Target
	for _, h := range hooks {
		if h.Enabled {
			targets = append(targets, store.TargetOf(h))
		}
	}
	if len(targets) == 0 {
		controlFail(w, http.StatusConflict, "to", "no enabled webhook is configured: register one with POST /api/v1/accounts/{accountId}/webhooks, or give \"to\"")
		return nil, false
	}
	return targets, true
}

func (s *Server) deliverFail(w http.ResponseWriter, err error) {
	if strings.Contains(err.Error(), "already sent") {
		controlFail(w, http.StatusConflict, "payload.eventId", "%v", err)
		return
	}
	s.log.Error("storing events failed", "error", err)
	controlFail(w, http.StatusInternalServerError, "", "storing the events failed; nothing was sent: %v", err)
}

func bodyFail(w http.ResponseWriter, err error, example string) {
	if errors.Is(err, errTooLarge) {
		controlFail(w, http.StatusRequestEntityTooLarge, "", "%v", err)
		return
	}
	field := ""
	if _, rest, ok := strings.Cut(err.Error(), `field "`); ok {
		field, _, _ = strings.Cut(rest, `"`)
	} else if _, rest, ok := strings.Cut(err.Error(), `unknown field "`); ok {
		field, _, _ = strings.Cut(rest, `"`)
	}
	controlFail(w, http.StatusBadRequest, field, "%v; e.g. %s", err, example)
}

// listEvents serves GET /v1/events?result=...&limit=...
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	result := q.Get("result")
	switch result {
	case "", store.Pending, string(mock8x8.Delivered), string(mock8x8.Exhausted), string(mock8x8.Rejected):
	default:
		controlFail(w, http.StatusBadRequest, "result", "result %q: use pending, delivered, exhausted or rejected", result)
		return
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			controlFail(w, http.StatusBadRequest, "limit", "limit %q: give 1 to 1000", v)
			return
		}
		limit = n
	}
	events, err := s.store.Events(r.Context(), result, limit, q.Get("bodies") != "false")
	if err != nil {
		controlFail(w, http.StatusInternalServerError, "", "listing events failed: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
}

// getEvent serves GET /v1/events/{eventId}.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("eventId")
	v, err := s.store.Event(r.Context(), id, true)
	if errors.Is(err, store.ErrNotFound) {
		controlFail(w, http.StatusNotFound, "eventId", "no event %q was sent by this server", id)
		return
	}
	if err != nil {
		controlFail(w, http.StatusInternalServerError, "", "reading the event failed: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// getStats serves GET /v1/stats.
func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.store.Stats(r.Context())
	if err != nil {
		controlFail(w, http.StatusInternalServerError, "", "reading the counters failed: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// seedOrRandom is the seed a request gave, or a fresh random one, returned in the answer so
// the run can be repeated; below 2^63, so it fits any signed 64-bit reader.
func seedOrRandom(given *uint64) uint64 {
	if given != nil {
		return *given
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1
}
