package mock8x8

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout is the per-attempt timeout when SenderConfig.Timeout is zero. 8x8 does
// not document its own; 5 s is what it asks of WhatsApp receivers.
const DefaultTimeout = 5 * time.Second

// DefaultUserAgent is the User-Agent a Sender sends when SenderConfig.UserAgent is empty.
// 8x8 does not document the one it sends.
const DefaultUserAgent = "clickcheck-mock8x8/1 (+https://github.com/clickcheck/clickcheck)"

// MaxResponseBody is how much of a response body a Sender reads (and discards); the rest
// is not read and that connection is not reused.
const MaxResponseBody = 64 << 10

// exampleWebhookURL is the valid value error messages show.
const exampleWebhookURL = "https://receiver.example.com/8x8/clicks"

// SenderConfig configures a Sender. Only URL is required.
type SenderConfig struct {
	// URL is the receiver's webhook URL: http or https, with a host. Userinfo in it is sent
	// as HTTP Basic when no Authorization is configured, and never shown.
	URL string
	// Timeout bounds one attempt: connecting, any OAuth token fetch, sending the request,
	// and reading the response headers and body. Zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is the User-Agent header; empty means DefaultUserAgent.
	UserAgent string
	// ContentType is the Content-Type header; empty means "application/json", what 8x8
	// sends. Conformance checks vary it (e.g. "application/json; charset=utf-8").
	ContentType string
	// Authorization is sent unchanged as the Authorization header of every request, like
	// 8x8's httpAuthorization (e.g. "Bearer 9QQhlsEb8VY" or "Basic dXNlcjpwYXNzd29yZA==").
	Authorization string
	// OAuth makes the Sender get an OAuth 2.0 client-credentials token and send it as
	// "Bearer <token>" instead of Authorization; setting both is an error.
	OAuth *OAuthConfig
	// Transport carries the requests (and the token requests). Nil means a transport from
	// NewTransport, owned by the Sender and released by Close.
	Transport http.RoundTripper
	// Clock stamps Outcome.Started and Finished and ages OAuth tokens; nil means
	// RealClock(). The timeout always runs in real time.
	Clock Clock
	// Fast sends the webhook requests through fasthttp's client instead of net/http: the
	// same request, timeout, redirect and body rules and error classes, at about half the
	// CPU per attempt, for load generation. It needs a nil Transport, ignores proxy
	// settings, and does not cut an attempt short when the caller's context is cancelled:
	// the attempt ends at its answer or its timeout. OAuth token requests still use
	// net/http.
	Fast bool
	// MaxConns bounds the connections a Fast sender opens at once; attempts beyond it wait
	// for a free connection within their timeout. Zero means 4096.
	MaxConns int
}

// Sender makes single delivery attempts to one webhook URL exactly as 8x8's sender does:
// one POST of the event's JSON, static or OAuth authorization, a per-attempt timeout,
// redirects never followed and at most MaxResponseBody of the answer read. It keeps no
// state between attempts except idle connections and a cached OAuth token, and is safe for
// concurrent use. Retrying is the Engine's job.
type Sender struct {
	url      string // as configured, for requests
	redacted string // for messages: the password in userinfo replaced
	host     string
	timeout  time.Duration
	ua       string
	ctype    string
	auth     string
	tokens   *tokenSource // nil without OAuth
	fast     *fastWire    // nil unless SenderConfig.Fast
	client   *http.Client
	owned    *http.Transport // nil when the caller supplied the transport
	clock    Clock
}

// NewSender validates cfg and returns a Sender. Errors say which setting is wrong and
// show a valid example.
func NewSender(cfg SenderConfig) (*Sender, error) {
	u, err := parseHTTPURL("webhook URL", cfg.URL, exampleWebhookURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mock8x8: timeout %v is negative: give a positive duration (e.g. 5s) or 0 for the default %v", cfg.Timeout, DefaultTimeout)
	}
	if cfg.Authorization != "" && cfg.OAuth != nil {
		return nil, errors.New(`mock8x8: set either Authorization or OAuth, not both: 8x8 sends one Authorization header (e.g. Authorization "Bearer 9QQhlsEb8VY", or OAuth with a token URL, client id and secret)`)
	}
	if err := checkHeaderValue("Authorization", cfg.Authorization, "Bearer 9QQhlsEb8VY"); err != nil {
		return nil, err
	}
	if err := checkHeaderValue("User-Agent", cfg.UserAgent, DefaultUserAgent); err != nil {
		return nil, err
	}
	if err := checkHeaderValue("Content-Type", cfg.ContentType, "application/json"); err != nil {
		return nil, err
	}
	s := &Sender{
		url:      cfg.URL,
		redacted: u.Redacted(),
		host:     u.Host,
		timeout:  cfg.Timeout,
		ua:       cfg.UserAgent,
		ctype:    cfg.ContentType,
		auth:     cfg.Authorization,
		clock:    cfg.Clock,
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.ua == "" {
		s.ua = DefaultUserAgent
	}
	if s.ctype == "" {
		s.ctype = "application/json"
	}
	if s.clock == nil {
		s.clock = RealClock()
	}
	rt := cfg.Transport
	if rt == nil {
		s.owned = NewTransport(s.timeout)
		rt = s.owned
	}
	s.client = &http.Client{Transport: rt, CheckRedirect: noRedirects}
	if cfg.Fast {
		if cfg.Transport != nil {
			return nil, errors.New("mock8x8: a Fast sender makes its own connections; leave SenderConfig.Transport nil")
		}
		s.fast = newFastWire(u, s.timeout, cfg.MaxConns)
	}
	if cfg.OAuth != nil {
		if s.tokens, err = newTokenSource(*cfg.OAuth, s.client, s.clock); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NewTransport returns the HTTP/1.1 transport a Sender owns when SenderConfig.Transport is
// nil: HTTP/2 disabled (8x8 is assumed to speak HTTP/1.1), no response compression asked
// for, TLS verified against the system roots, dial and TLS handshake bounded by timeout,
// and up to 256 idle connections per host kept for concurrent attempts. Adjust it (e.g.
// TLSClientConfig.RootCAs for a private CA) and pass it as SenderConfig.Transport.
func NewTransport(timeout time.Duration) *http.Transport {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: timeout,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // non-nil: no h2
		DisableCompression:  true,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
}

// URL returns the webhook URL with any userinfo password redacted.
func (s *Sender) URL() string { return s.redacted }

// Timeout is the per-attempt timeout.
func (s *Sender) Timeout() time.Duration { return s.timeout }

// Close closes the idle connections of a transport the Sender owns. A Sender may still be
// used after Close; it opens new connections.
func (s *Sender) Close() {
	if s.owned != nil {
		s.owned.CloseIdleConnections()
	}
	if s.fast != nil {
		s.fast.client.CloseIdleConnections()
	}
}

// Send makes one delivery attempt of ev and reports it as data; it never retries.
//
// Status is the HTTP status of any response. Error is empty only when a complete response
// arrived (its body read up to MaxResponseBody): a response whose body then breaks off or
// times out keeps its Status and gets the class of the failure, since 8x8 counts it failed.
// When ctx ends before the attempt does (the caller cancelled, as opposed to the
// per-attempt timeout expiring), the outcome has class ErrOther and a message saying
// "cancelled". Started and Finished come from the Sender's clock.
func (s *Sender) Send(ctx context.Context, ev Event) Outcome {
	o := Outcome{Started: s.clock.Now()}
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.attempt(ctx, actx, ev, &o)
	o.Finished = s.clock.Now()
	return o
}

// attempt fills o's Status, Error and Message. ctx is the caller's, actx the attempt's.
func (s *Sender) attempt(ctx, actx context.Context, ev Event, o *Outcome) {
	auth := s.auth
	if s.tokens != nil {
		tok, err := s.tokens.token(actx)
		if err != nil {
			o.Error, o.Message = s.tokenFailure(ctx, actx, err)
			return
		}
		auth = "Bearer " + tok
	}
	if s.fast != nil {
		s.fast.attempt(s, ctx, actx, ev, auth, o)
		return
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, s.url, strings.NewReader(ev.Body))
	if err != nil { // the URL was validated: unreachable short of a bug
		o.Error, o.Message = ErrOther, fmt.Sprintf("POST %s: %v", s.redacted, unwrapURLError(err))
		return
	}
	req.Header = http.Header{"Content-Type": {s.ctype}, "User-Agent": {s.ua}}
	if auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		o.Error, o.Message = s.failure(ctx, actx, err, "")
		return
	}
	o.Status = resp.StatusCode
	// Reading the body to EOF lets the transport reuse the connection; beyond
	// MaxResponseBody, closing drops the connection instead.
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBody))
	resp.Body.Close()
	if err != nil {
		o.Error, o.Message = s.failure(ctx, actx, err, statusText(resp.StatusCode))
		return
	}
	o.Message = s.statusMessage(resp.StatusCode, resp.Header.Get("Location"))
}

// failure classifies a transport error and explains it. status is empty when no response
// arrived, else the status of the response whose body then failed.
func (s *Sender) failure(ctx, actx context.Context, err error, status string) (ErrorClass, string) {
	head := "POST " + s.redacted + ": "
	if status != "" {
		head += "answered " + status + " but "
	}
	if ctx.Err() != nil {
		return ErrOther, head + "cancelled before the attempt ended (" + context.Cause(ctx).Error() + ")"
	}
	class := ClassifyError(err)
	if actx.Err() != nil && class != ErrDNS {
		// The attempt's deadline passed: whatever broke, it broke because time ran out.
		class = ErrTimeout
	}
	detail := unwrapURLError(err).Error()
	switch {
	case class == ErrTimeout && status != "":
		return class, head + "the body was not complete within " + s.timeout.String()
	case class == ErrTimeout:
		return class, head + "no response within " + s.timeout.String()
	case class == ErrReset && status != "":
		return class, head + "the connection was closed before the body was complete (" + detail + ")"
	case class == ErrReset:
		return class, head + "the connection was closed before a complete response (" + detail + ")"
	case class == ErrRefused:
		return class, head + "connection refused; is the receiver running and listening on " + s.host + "?"
	case class == ErrTLS && errors.Is(err, http.ErrSchemeMismatch):
		return class, head + "TLS failed: the receiver answered in plain HTTP; use an http:// URL or serve TLS"
	case class == ErrTLS:
		return class, head + "TLS failed (" + detail + "); 8x8 verifies the receiver's certificate"
	case class == ErrDNS:
		return class, head + "the host name did not resolve (" + detail + ")"
	case status != "":
		return class, head + "reading the body failed (" + detail + ")"
	default:
		return class, head + detail
	}
}

// statusMessage explains a complete response that 8x8 would not count as delivered.
func (s *Sender) statusMessage(code int, location string) string {
	switch {
	case code >= 200 && code < 300:
		return ""
	case code >= 300 && code < 400:
		loc := RedactURL(location)
		if loc != "" {
			loc = " (Location: " + loc + ")"
		}
		return fmt.Sprintf("POST %s: answered %s%s; 8x8 does not follow redirects", s.redacted, statusText(code), loc)
	default:
		return fmt.Sprintf("POST %s: answered %s", s.redacted, statusText(code))
	}
}

// ClassifyError names the class of a transport error, looking through wrapping with
// errors.Is and errors.As. In order: nil is ErrNone; context.Canceled is ErrOther; a
// *net.DNSError is ErrDNS, even when it is a timeout (the name is what failed); TLS
// record, alert and certificate errors are ErrTLS; context.DeadlineExceeded and any
// net.Error whose Timeout() is true are ErrTimeout; ECONNREFUSED is ErrRefused;
// ECONNRESET, ECONNABORTED, EPIPE, io.EOF and io.ErrUnexpectedEOF (the receiver closed the
// connection before a complete answer) are ErrReset; anything else is ErrOther.
func ClassifyError(err error) ErrorClass {
	switch {
	case err == nil:
		return ErrNone
	case errors.Is(err, context.Canceled):
		return ErrOther
	case isDNS(err):
		return ErrDNS
	case isTLS(err):
		return ErrTLS
	case isTimeout(err):
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case isReset(err):
		return ErrReset
	default:
		return ErrOther
	}
}

func isDNS(err error) bool {
	_, ok := errors.AsType[*net.DNSError](err)
	return ok
}

func isTLS(err error) bool {
	if errors.Is(err, http.ErrSchemeMismatch) { // net/http's name for an HTTP answer to a ClientHello
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return true
	}
	// An alert from the peer ("remote error: tls: handshake failure") has an unexported
	// type; crypto/tls is the only user of this Op.
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "remote error" {
		return true
	}
	return false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// errServerClosedIdleText is net/http's unexported error for a reused keep-alive
// connection the receiver closed as the request went out; there is no value to compare.
const errServerClosedIdleText = "http: server closed idle connection"

func isReset(err error) bool {
	for _, target := range []error{syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, target) {
			return true
		}
	}
	return unwrapURLError(err).Error() == errServerClosedIdleText
}

// noRedirects makes http.Client return a 3XX as the response: 8x8 does not follow it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// unwrapURLError drops the *url.Error wrapper (its method and URL are already in the
// message).
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
		return ue.Err
	}
	return err
}

// statusText is "404 Not Found", without trusting the receiver's reason phrase.
func statusText(code int) string {
	return strings.TrimSpace(strconv.Itoa(code) + " " + http.StatusText(code))
}

// CheckURL says why raw cannot be a webhook URL, as a phrase to follow the quoted value
// ("is not an http or https URL", "has no host", ...), or returns nil for an absolute
// http or https URL with a host.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		return errors.New("is empty")
	case err != nil:
		return fmt.Errorf("is not a URL (%v)", unwrapURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("is not an http or https URL")
	case u.Hostname() == "":
		return errors.New("has no host")
	}
	return nil
}

// parseHTTPURL checks that raw is an absolute http or https URL with a host. what names
// the setting in errors, which never repeat a password.
func parseHTTPURL(what, raw, example string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("mock8x8: %s is empty: give an http or https URL (e.g. %s)", what, example)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mock8x8: %s does not parse (%v): give an http or https URL (e.g. %s)", what, unwrapURLError(err), example)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("mock8x8: %s %q has scheme %q: it must be http or https (e.g. %s)", what, u.Redacted(), u.Scheme, example)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mock8x8: %s %q has no host (e.g. %s)", what, u.Redacted(), example)
	}
	return u, nil
}

// RedactURL returns raw with any password in its userinfo replaced by "xxxxx", for
// showing a URL (a webhook's, a Location header) in messages, logs and pages.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// checkHeaderValue rejects values net/http would refuse to send, at configuration time.
// The value itself is not repeated: it may be a credential.
func checkHeaderValue(name, v, example string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("mock8x8: %s contains a control character at byte %d: give a single-line value (e.g. %q)", name, i, example)
		}
	}
	return nil
}
