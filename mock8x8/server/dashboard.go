package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// eventsShown is how many of the newest events the dashboard lists.
const eventsShown = 50

//go:embed web
var webFS embed.FS

// dashPages are the dashboard's HTML templates: dashboard.html, login.html and their layout.
var dashPages = template.Must(template.New("").ParseFS(webFS, "web/*.html"))

// dashAsset is one embedded file served under /assets/.
type dashAsset struct {
	body        []byte
	contentType string
	etag        string
}

// dashAssetTypes are the files served under /assets/: only these, with these content types.
var dashAssetTypes = map[string]string{
	"dashboard.css": "text/css; charset=utf-8",
	"dashboard.js":  "text/javascript; charset=utf-8",
	"favicon.svg":   "image/svg+xml",
}

var dashAssets = loadDashAssets()

func loadDashAssets() map[string]dashAsset {
	out := make(map[string]dashAsset, len(dashAssetTypes))
	for name, ct := range dashAssetTypes {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			panic(fmt.Sprintf("server: embedded dashboard asset web/%s is missing: %v", name, err))
		}
		sum := sha256.Sum256(b)
		out[name] = dashAsset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}

// pagePolicy lets a page load only this server's own assets and call only its own API.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// crossOrigin refuses state-changing requests a browser makes on behalf of another site.
var crossOrigin = http.NewCrossOriginProtection()

// sessionSecret keys the dashboard's session tokens: new in every process, so a restart
// signs every browser out.
var sessionSecret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return b
}()

// sessionToken is the cookie value a signed-in browser holds: it proves the API key was
// given to this process without containing it.
func (s *Server) sessionToken() string {
	mac := hmac.New(sha256.New, sessionSecret)
	mac.Write([]byte("clickcheck dashboard session\x00" + s.cfg.APIKey))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// sessionCookie names the cookie after the port too: browsers share cookies between the
// ports of one host, and two servers on one machine must not sign each other out.
func sessionCookie(r *http.Request) string {
	_, port, err := net.SplitHostPort(r.Host)
	if err != nil || port == "" {
		port = "80"
	}
	return "clickcheck_session_" + strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, port)
}

// hasSession reports whether the request carries this server's dashboard session cookie.
func (s *Server) hasSession(r *http.Request) bool {
	if s.cfg.APIKey == "" {
		return false
	}
	c, err := r.Cookie(sessionCookie(r))
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.sessionToken())) == 1
}

// allowed reports whether the request may use the control API and the dashboard: no API
// key is configured, or it comes with the key as a Bearer header or a session cookie.
func (s *Server) allowed(r *http.Request) bool {
	return s.authorized(r) || s.hasSession(r)
}

// dashboard serves GET /: the current state, which the page's script then keeps live.
// Without a session (when an API key is configured) it serves the sign-in form.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(r) {
		s.renderPage(w, http.StatusOK, "login.html", dashLogin{})
		return
	}
	data, err := s.dashboardData(r.Context())
	if err != nil {
		s.log.Error("rendering the dashboard failed", "error", err)
		http.Error(w, "clickcheck serve: reading the state for the dashboard failed: "+err.Error()+"; see the server's log", http.StatusInternalServerError)
		return
	}
	s.renderPage(w, http.StatusOK, "dashboard.html", data)
}

// login serves POST /login: the right API key gets a session cookie and goes to the
// dashboard; a wrong one gets the form again with 401.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := crossOrigin.Check(r); err != nil {
		s.renderPage(w, http.StatusForbidden, "login.html", dashLogin{Error: "This sign-in came from another site and was refused. Open the dashboard itself and sign in there."})
		return
	}
	if s.cfg.APIKey == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.renderPage(w, http.StatusBadRequest, "login.html", dashLogin{Error: "The sign-in form could not be read (send it as a form of at most 4 KiB). Try again."})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("key")), []byte(s.cfg.APIKey)) != 1 {
		s.log.Info("dashboard sign-in refused: wrong API key", "remote", r.RemoteAddr)
		s.renderPage(w, http.StatusUnauthorized, "login.html", dashLogin{Error: "That is not this server's API key (the --api-key clickcheck serve was started with). Try again."})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie(r), Value: s.sessionToken(), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout serves POST /logout: it removes the session cookie from the browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := crossOrigin.Check(r); err != nil {
		http.Error(w, "clickcheck serve: a sign-out from another site was refused; use the dashboard's own button", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// serveAsset serves GET /assets/{name} from the embedded files.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := dashAssets[r.PathValue("name")]
	if !ok {
		http.Error(w, "clickcheck serve: no such dashboard asset; the dashboard is at /", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache") // revalidated by ETag: a new binary's assets show at once
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(a.body))
}

// webhookView is a configured webhook as GET /v1/webhooks and the dashboard show it:
// with its account, secrets masked, credentials in URLs redacted.
type webhookView struct {
	AccountID         string       `json:"accountId"`
	SubAccountID      string       `json:"subAccountId"`
	URL               string       `json:"url"`
	Enabled           bool         `json:"enabled"`
	HTTPAuthorization string       `json:"httpAuthorization,omitempty"`
	OAuth             *store.OAuth `json:"oauth,omitempty"`
}

// webhookViews reads every account's webhooks, masked.
func (s *Server) webhookViews(ctx context.Context) ([]webhookView, error) {
	hooks, err := s.store.Webhooks(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]webhookView, 0, len(hooks))
	for _, h := range maskAll(hooks) {
		out = append(out, webhookView{AccountID: h.AccountID, SubAccountID: h.SubAccountID, URL: h.URL,
			Enabled: h.Enabled, HTTPAuthorization: h.HTTPAuthorization, OAuth: h.OAuth})
	}
	return out, nil
}

// listAllWebhooks serves GET /v1/webhooks: every account's webhooks, secrets masked.
func (s *Server) listAllWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.webhookViews(r.Context())
	if err != nil {
		controlFail(w, http.StatusInternalServerError, "", "reading the configured webhooks failed: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
}

// renderPage executes a template into a buffer first, so a failure is a clean 500.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := dashPages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("rendering a dashboard page failed", "page", name, "error", err)
		http.Error(w, "clickcheck serve: rendering the "+name+" page failed; see the server's log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// dashLogin is the data of login.html.
type dashLogin struct {
	Error string
}

// dashPage is the data of dashboard.html: the state at page load, preformatted the
// way dashboard.js formats it, so the first refresh changes nothing.
type dashPage struct {
	Stats       store.Stats
	Consistent  bool
	Events      []dashEvent
	EventsShown int
	Webhooks    []webhookView
	SignedIn    bool // an API key is configured, so a sign-out makes sense
	Schedule    string
	Timeout     string
	MaxAttempts int
	Updated     string
}

type dashEvent struct {
	ID, Type, Result    string
	Created, CreatedISO string
	Deliveries          []dashDelivery
}

type dashDelivery struct {
	Target, Result string
	Attempts       []dashAttempt
	NextAt         string // RFC 3339, empty unless pending
	NextN          int
	Countdown      string
}

type dashAttempt struct {
	N                     int
	Code, Latency, Result string
	Message               string
}

func (s *Server) dashboardData(ctx context.Context) (dashPage, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := s.store.Stats(ctx)
	if err != nil {
		return dashPage{}, fmt.Errorf("reading the counters: %w", err)
	}
	events, err := s.store.Events(ctx, "", eventsShown, false)
	if err != nil {
		return dashPage{}, fmt.Errorf("listing the events: %w", err)
	}
	hooks, err := s.webhookViews(ctx)
	if err != nil {
		return dashPage{}, fmt.Errorf("reading the webhooks: %w", err)
	}
	now := time.Now()
	p := dashPage{
		Stats: st, Consistent: st.Balanced(),
		EventsShown: eventsShown, Webhooks: hooks, SignedIn: s.cfg.APIKey != "",
		Schedule: scheduleText(s.cfg.Schedule), Timeout: s.cfg.Timeout.String(),
		MaxAttempts: s.cfg.Schedule.MaxAttempts(), Updated: clockText(now),
	}
	for _, e := range events {
		row := dashEvent{ID: e.EventID, Type: e.Type, Result: e.Result, Created: clockText(e.CreatedAt), CreatedISO: e.CreatedAt.UTC().Format(time.RFC3339Nano)}
		for _, d := range e.Deliveries {
			dr := dashDelivery{Target: d.URL, Result: d.Result}
			if d.Webhook != "" {
				dr.Target = d.Webhook
			}
			for _, a := range d.Attempts {
				dr.Attempts = append(dr.Attempts, dashAttempt{N: a.Attempt, Code: codeText(a), Latency: latencyText(a.FinishedAt.Sub(a.StartedAt)), Result: string(a.Result), Message: a.Message})
			}
			if d.Result == store.Pending && d.NextAttemptAt != nil {
				dr.NextAt, dr.NextN = d.NextAttemptAt.UTC().Format(time.RFC3339Nano), d.NextAttempt
				dr.Countdown = countdownText(d.NextAttempt, d.NextAttemptAt.Sub(now))
			}
			row.Deliveries = append(row.Deliveries, dr)
		}
		p.Events = append(p.Events, row)
	}
	return p, nil
}

// The formatting below is mirrored by dashboard.js (fmtCode, fmtLatency, fmtCountdown,
// fmtClock): change both together.

// codeText is an attempt's outcome in a word: its HTTP status, or its error class.
func codeText(a mock8x8.Attempt) string {
	switch {
	case a.Error != mock8x8.ErrNone:
		return string(a.Error)
	case a.Status == 0:
		return "—"
	}
	return strconv.Itoa(a.Status)
}

// latencyText is how long an attempt took: tenths of a millisecond below 10 ms, whole
// milliseconds below a second, else seconds with two decimals.
func latencyText(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 0:
		return "—"
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	case ms < 1000:
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
}

// countdownText says when attempt n is due, in whole seconds rounded up.
func countdownText(n int, left time.Duration) string {
	secs := int64(math.Ceil(left.Seconds()))
	what := "next attempt"
	if n > 0 {
		what = "attempt #" + strconv.Itoa(n)
	}
	if secs <= 0 {
		return what + " due now"
	}
	if secs < 60 {
		return fmt.Sprintf("%s in %ds", what, secs)
	}
	if secs < 3600 {
		return fmt.Sprintf("%s in %dm %ds", what, secs/60, secs%60)
	}
	return fmt.Sprintf("%s in %dh %dm", what, secs/3600, secs%3600/60)
}

// clockText is a time of day in UTC with milliseconds, as the JSON times are in UTC.
func clockText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("15:04:05.000")
}

// scheduleText describes the retry schedule, e.g. "1s, 10s, 30s, 90s × 0.01".
func scheduleText(sc mock8x8.Schedule) string {
	parts := make([]string, len(sc.Intervals))
	for i, d := range sc.Intervals {
		parts[i] = d.String()
	}
	text := strings.Join(parts, ", ")
	if text == "" {
		text = "no retries"
	}
	if sc.Scale != 0 && sc.Scale != 1 {
		text += " × " + strconv.FormatFloat(sc.Scale, 'g', -1, 64)
	}
	if sc.FromFirstAttempt {
		text += ", counted from the first attempt"
	}
	return text
}
