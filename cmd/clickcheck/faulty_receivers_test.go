package main

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// defects are the mistakes a test receiver can be built with; the zero value is a
// correct receiver (in memory, dedupe on eventId, 200 to every valid event).
type defects struct {
	ackStatus         int           // the status of an ack (0: 200)
	ackBody           string        // the body of an ack ("" with ackStatus 0: {"ok":true})
	dupStatus         int           // answer duplicates with this instead of an ack
	noDedupe          bool          // apply every delivery
	racyDedupe        bool          // check, then insert a moment later
	dedupeOnUMID      bool          // take umid for the idempotency key
	slowEvery         time.Duration // sleep this long before every ack
	slowTailFrac      float64       // this fraction of acks...
	slowTail          time.Duration // ...sleep this long
	strictFields      bool          // refuse unknown fields
	clicksOnly        bool          // 400 for other event types
	countSiblings     bool          // apply payload.eventId of any event type
	strictContentType bool          // 415 unless Content-Type is exactly application/json
	ignoreAuth        bool          // accept any Authorization
	dieOnGarbage      bool          // drop the connection on bad JSON, and every request after
	loseFrac          float64       // under concurrency, ack but do not apply this fraction
	redirect          bool          // 307 to a trailing-slash URL
	strictTime        bool          // occurredAt only as 2006-01-02T15:04:05Z
	usOnly            bool          // destinations only +1
	dedupeTTL         time.Duration // forget idempotency keys after this long
	refuseFuture      bool          // 422 for a click dated after now: sound, so no defect
	ackFirst          bool          // ack before parsing; a bad body kills the worker, so later clicks are acked, never applied
	dropOddTimes      bool          // ack, but never apply, a click whose occurredAt is not whole seconds in Z
}

// testReceiver is an in-memory receiver with optional defects and the observe endpoint.
type testReceiver struct {
	d          defects
	auth       string
	countDir   string // when set, each applied count is also written to countDir/<eventId>
	mu         sync.Mutex
	seen       map[string]time.Time // idempotency keys, when first seen
	applied    map[string]int       // by eventId, for /observed
	inflight   atomic.Int32
	dead       atomic.Bool
	workerGone atomic.Bool // ackFirst: the worker died on bad input
}

func newTestReceiver(d defects, auth string) *testReceiver {
	return &testReceiver{d: d, auth: auth, seen: map[string]time.Time{}, applied: map[string]int{}}
}

func (tr *testReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/observed/") {
		tr.mu.Lock()
		n := tr.applied[strings.TrimPrefix(r.URL.Path, "/observed/")]
		tr.mu.Unlock()
		if n == 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"count": n})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/webhooks/8x8" {
		http.NotFound(w, r)
		return
	}
	tr.inflight.Add(1)
	defer tr.inflight.Add(-1)
	if tr.dead.Load() {
		hangUp(w)
		return
	}
	if tr.d.redirect {
		http.Redirect(w, r, "/webhooks/8x8/", http.StatusTemporaryRedirect)
		return
	}
	if tr.auth != "" && !tr.d.ignoreAuth && r.Header.Get("Authorization") != tr.auth {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if tr.d.strictContentType && r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "unsupported media type", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	status, key, id := tr.parse(body)
	if tr.d.ackFirst {
		if status != 0 {
			tr.workerGone.Store(true)
		}
		if status != 0 || tr.workerGone.Load() {
			tr.ack(w)
			return
		}
	}
	if status == -1 {
		tr.dead.Store(true)
		hangUp(w)
		return
	}
	if status != 0 {
		http.Error(w, "bad event", status)
		return
	}
	if key != "" {
		if dup := tr.apply(key, id); dup && tr.d.dupStatus != 0 {
			http.Error(w, "duplicate", tr.d.dupStatus)
			return
		}
	}
	switch {
	case tr.d.slowEvery > 0:
		time.Sleep(tr.d.slowEvery)
	case tr.d.slowTailFrac > 0 && rand.Float64() < tr.d.slowTailFrac:
		time.Sleep(tr.d.slowTail)
	}
	tr.ack(w)
}

// parse returns a status to refuse the event with (-1: die), or the idempotency key and
// eventId of a click to apply ("" for events that are acked and ignored).
func (tr *testReceiver) parse(body []byte) (status int, key, id string) {
	type payload struct {
		EventID     string `json:"eventId"`
		OccurredAt  string `json:"occurredAt"`
		UMID        string `json:"umid"`
		Destination string `json:"destination"`
		ShortURL    string `json:"shortUrl"`
		TargetURL   string `json:"targetUrl"`
	}
	var env struct {
		Namespace   string          `json:"namespace"`
		EventType   string          `json:"eventType"`
		Description string          `json:"description"`
		Payload     json.RawMessage `json:"payload"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if tr.d.strictFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&env); err != nil || len(env.Payload) == 0 {
		if tr.d.dieOnGarbage {
			return -1, "", ""
		}
		return http.StatusBadRequest, "", ""
	}
	if env.EventType != "short_url_clicked" {
		switch {
		case tr.d.clicksOnly:
			return http.StatusBadRequest, "", ""
		case tr.d.countSiblings:
			var p struct {
				EventID string `json:"eventId"`
			}
			_ = json.Unmarshal(env.Payload, &p)
			return 0, p.EventID, p.EventID
		}
		return 0, "", ""
	}
	var p payload
	pdec := json.NewDecoder(strings.NewReader(string(env.Payload)))
	if tr.d.strictFields {
		pdec.DisallowUnknownFields()
	}
	if err := pdec.Decode(&p); err != nil || p.EventID == "" {
		return http.StatusBadRequest, "", ""
	}
	if tr.d.dropOddTimes {
		if _, err := time.Parse("2006-01-02T15:04:05Z", p.OccurredAt); err != nil {
			return 0, "", ""
		}
	}
	if tr.d.strictTime {
		if _, err := time.Parse("2006-01-02T15:04:05Z", p.OccurredAt); err != nil {
			return http.StatusBadRequest, "", ""
		}
	}
	if tr.d.refuseFuture {
		if at, err := time.Parse(time.RFC3339Nano, p.OccurredAt); err != nil || at.After(time.Now()) {
			return http.StatusUnprocessableEntity, "", ""
		}
	}
	if tr.d.usOnly && !strings.HasPrefix(p.Destination, "+1") {
		return http.StatusBadRequest, "", ""
	}
	if tr.d.dedupeOnUMID {
		return 0, p.UMID + p.ShortURL, p.EventID
	}
	return 0, p.EventID, p.EventID
}

// apply records a click once per key (unless a defect says otherwise) and reports a
// duplicate.
func (tr *testReceiver) apply(key, id string) (dup bool) {
	if tr.d.loseFrac > 0 && tr.inflight.Load() >= 2 && rand.Float64() < tr.d.loseFrac {
		return false // acked, never stored
	}
	if tr.d.racyDedupe {
		tr.mu.Lock()
		seen := tr.known(key)
		tr.mu.Unlock()
		time.Sleep(5 * time.Millisecond) // the "database round trip" between check and insert
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if !seen {
			tr.seen[key] = time.Now()
			tr.applied[id]++
		}
		return seen
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	dup = tr.known(key)
	if !dup || tr.d.noDedupe {
		tr.seen[key] = time.Now()
		tr.applied[id]++
		if tr.countDir != "" && id != "" && !strings.ContainsAny(id, "/.") {
			_ = os.WriteFile(filepath.Join(tr.countDir, id), []byte(strconv.Itoa(tr.applied[id])+"\n"), 0o600)
		}
	}
	return dup
}

// known reports whether key was seen (within the dedupe TTL, if any); tr.mu is held.
func (tr *testReceiver) known(key string) bool {
	at, ok := tr.seen[key]
	return ok && (tr.d.dedupeTTL == 0 || time.Since(at) < tr.d.dedupeTTL)
}

func (tr *testReceiver) ack(w http.ResponseWriter) {
	status, body := tr.d.ackStatus, tr.d.ackBody
	if status == 0 {
		status, body = http.StatusOK, `{"ok":true}`
	}
	if body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// hangUp drops the connection without an answer, as a crashed process would.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
