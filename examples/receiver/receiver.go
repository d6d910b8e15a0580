package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Paths the receiver serves. ObservePath is a ServeMux pattern; {eventId} is the event's id.
const (
	WebhookPath = "/webhooks/8x8"
	ObservePath = "/observed/{eventId}"
	HealthPath  = "/healthz"
)

// MaxBody is the largest webhook body accepted; a larger one is answered 413. A real
// event is under 1 KiB (an inbound SMS with a long UCS-2 text under 4 KiB), so 64 KiB is
// ample while bounding what a stray or hostile client can make the receiver buffer.
const MaxBody = 64 << 10

// Config configures a Receiver. The zero value is an in-memory receiver without auth.
type Config struct {
	// DB is the SQLite database file, created if missing; "" keeps clicks in memory for
	// the Receiver's lifetime.
	DB string
	// Auth is the Authorization header value every webhook request must carry, exactly
	// as configured at 8x8 (httpAuthorization), e.g. "Bearer 9QQhlsEb8VY"; "" accepts
	// requests without checking.
	Auth string
	// Logger receives a line per rejected request (Warn) and storage failure (Error),
	// and per acked event at Debug. Nil discards.
	Logger *slog.Logger
}

// Receiver is an http.Handler-backed store of short URL clicks. It is safe for
// concurrent use.
type Receiver struct {
	store     *store
	auth      [sha256.Size]byte // hash of Config.Auth, compared in constant time
	checkAuth bool
	challenge string // WWW-Authenticate on a 401
	log       *slog.Logger
	mux       *http.ServeMux
}

// Open opens (creating and migrating if needed) the database in cfg.DB and returns a
// Receiver on it. Close releases it.
func Open(cfg Config) (*Receiver, error) {
	st, err := openStore(cfg.DB)
	if err != nil {
		where := "in memory"
		if cfg.DB != "" {
			where = fmt.Sprintf("%q", cfg.DB)
		}
		return nil, fmt.Errorf("receiver: opening the database %s: %w", where, err)
	}
	r := &Receiver{store: st, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Auth != "" {
		r.checkAuth = true
		r.auth = sha256.Sum256([]byte(cfg.Auth))
		// The scheme of the expected value ("Bearer", "Basic"), so a client knows what to send.
		if scheme, _, ok := strings.Cut(cfg.Auth, " "); ok {
			r.challenge = scheme + ` realm="8x8 webhooks"`
		}
	}
	r.mux = http.NewServeMux()
	r.mux.HandleFunc("POST "+WebhookPath, r.webhook)
	r.mux.HandleFunc("GET "+ObservePath, r.observed)
	r.mux.HandleFunc("GET "+HealthPath, r.healthz)
	return r, nil
}

// Handler serves POST WebhookPath, GET ObservePath and GET HealthPath; anything else gets
// the ServeMux's 404 or 405.
func (r *Receiver) Handler() http.Handler { return r.mux }

// Close closes the database. Requests still in flight fail with 500s; stop the HTTP
// server first.
func (r *Receiver) Close() error { return r.store.close() }

// Count reports how many times the click with eventID was applied: 1 once it was stored,
// whatever the number of deliveries, else 0.
func (r *Receiver) Count(ctx context.Context, eventID string) (int, error) {
	return r.store.applied(ctx, eventID)
}

// Precomputed answers: an ack costs no allocation to encode.
var (
	ackStored    = []byte(`{"status":"ok","result":"stored"}` + "\n")
	ackDuplicate = []byte(`{"status":"ok","result":"duplicate"}` + "\n")
	ackIgnored   = []byte(`{"status":"ok","result":"ignored"}` + "\n")
)

func (r *Receiver) webhook(w http.ResponseWriter, req *http.Request) {
	if r.checkAuth {
		// Comparing hashes keeps even the expected value's length from leaking through timing.
		got := sha256.Sum256([]byte(req.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], r.auth[:]) != 1 {
			r.reject(w, req, http.StatusUnauthorized, "missing or wrong Authorization header")
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.reject(w, req, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", MaxBody))
			return
		}
		r.reject(w, req, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	eventType, click, err := parseEvent(body)
	if err != nil {
		r.reject(w, req, http.StatusBadRequest, err.Error())
		return
	}
	if click == nil {
		// Another SMS event on the same URL: acked, or 8x8 would retry it for minutes.
		r.log.Debug("ignored event", "eventType", eventType)
		writeJSON(w, http.StatusOK, ackIgnored)
		return
	}
	stored, err := r.store.add(req.Context(), click, time.Now())
	if err != nil {
		// A 5XX is right here: the click is not stored, and 8x8's retry should bring it again.
		r.log.Error("storing a click failed", "eventId", click.EventID, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("storing the click failed; retry"))
		return
	}
	if !stored {
		r.log.Debug("duplicate click acked", "eventId", click.EventID)
		writeJSON(w, http.StatusOK, ackDuplicate)
		return
	}
	r.log.Debug("click stored", "eventId", click.EventID)
	writeJSON(w, http.StatusOK, ackStored)
}

// reject answers status with {"error": msg} and logs it: 8x8 will retry, so say why.
func (r *Receiver) reject(w http.ResponseWriter, req *http.Request, status int, msg string) {
	r.log.Warn("webhook rejected", "status", status, "error", msg, "remote", req.RemoteAddr)
	if status == http.StatusUnauthorized && r.challenge != "" {
		w.Header().Set("WWW-Authenticate", r.challenge)
	}
	writeJSON(w, status, errorBody(msg))
}

func (r *Receiver) observed(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("eventId")
	n, err := r.store.applied(req.Context(), id)
	if err != nil {
		r.log.Error("counting a click failed", "eventId", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("counting failed"))
		return
	}
	status := http.StatusOK
	if n == 0 {
		status = http.StatusNotFound // the observe protocol: 404 means 0
	}
	b, _ := json.Marshal(struct {
		EventID string `json:"eventId"`
		Count   int    `json:"count"`
	}{id, n})
	writeJSON(w, status, append(b, '\n'))
}

func (r *Receiver) healthz(w http.ResponseWriter, req *http.Request) {
	if err := r.store.ping(req.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody("database unavailable: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`+"\n"))
}

func errorBody(msg string) []byte {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	return append(b, '\n')
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
