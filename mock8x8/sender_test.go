package mock8x8_test

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// secretAuth is a static Authorization value no message may ever contain.
const secretAuth = "Bearer s3cr3t-9QQhlsEb8VY"

// newSender returns a Sender for cfg, closed when the test ends.
func newSender(tb testing.TB, cfg mock8x8.SenderConfig) *mock8x8.Sender {
	tb.Helper()
	s, err := mock8x8.NewSender(cfg)
	if err != nil {
		tb.Fatalf("NewSender: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// forEachWire runs test over net/http and over fasthttp (SenderConfig.Fast): both must
// deliver exactly alike.
func forEachWire(t *testing.T, test func(t *testing.T, fast bool)) {
	for _, w := range []struct {
		name string
		fast bool
	}{{"net_http", false}, {"fasthttp", true}} {
		t.Run(w.name, func(t *testing.T) { test(t, w.fast) })
	}
}

// newServer starts a loopback server closed when the test ends.
func newServer(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// quietTLSServer starts a loopback TLS server that does not log handshake failures.
func quietTLSServer(tb testing.TB, h http.Handler, http2 bool) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableHTTP2 = http2
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv
}

// clickEvent is a click whose body has non-ASCII and characters HTML escaping would touch.
func clickEvent() mock8x8.Event {
	return mock8x8.Click{
		EventID:     "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a",
		OccurredAt:  time.Date(2025, 10, 3, 12, 0, 0, 0, time.UTC),
		UMID:        "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a",
		Destination: "+12025550293",
		ShortURL:    "https://2g.to/abc123/abc",
		TargetURL:   "https://example.com/landing?c=fall_campaign&lang=fr&t=<été>",
	}.Event()
}

// okHandler answers 200 with no body.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })

func TestSender_Send_requestAsSent(t *testing.T) { forEachWire(t, testSend_requestAsSent) }

func testSend_requestAsSent(t *testing.T, fast bool) {
	type request struct {
		method, path, proto, host string
		header                    http.Header
		contentLength             int64
		body                      []byte
	}
	got := make(chan request, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		got <- request{r.Method, r.URL.RequestURI(), r.Proto, r.Host, r.Header.Clone(), r.ContentLength, b}
		w.WriteHeader(http.StatusAccepted)
	}))
	t0 := time.Date(2025, 10, 3, 12, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		name, ua, auth     string
		wantUA             string
		wantAuthorizations []string
	}{
		{"configured", "receiver-test/2", secretAuth, "receiver-test/2", []string{secretAuth}},
		{"basic auth sent unchanged", "x", "Basic dXNlcjpwYXNzd29yZA==", "x", []string{"Basic dXNlcjpwYXNzd29yZA=="}},
		{"defaults", "", "", mock8x8.DefaultUserAgent, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(t, mock8x8.SenderConfig{Fast: fast,
				URL: srv.URL + "/8x8/clicks?tenant=a", UserAgent: tc.ua, Authorization: tc.auth,
				Clock: clockwork.NewFakeClockAt(t0),
			})
			ev := clickEvent()
			o := s.Send(context.Background(), ev)
			want := mock8x8.Outcome{Status: http.StatusAccepted, Started: t0, Finished: t0}
			if o != want {
				t.Fatalf("Send = %+v, want %+v", o, want)
			}
			r := <-got
			if r.method != http.MethodPost || r.path != "/8x8/clicks?tenant=a" || r.proto != "HTTP/1.1" {
				t.Errorf("request line = %s %s %s, want POST /8x8/clicks?tenant=a HTTP/1.1", r.method, r.path, r.proto)
			}
			if string(r.body) != string(ev.Body) || r.contentLength != int64(len(ev.Body)) {
				t.Errorf("body = %q (Content-Length %d), want exactly %q (%d)", r.body, r.contentLength, ev.Body, len(ev.Body))
			}
			wantHeader := http.Header{
				"Content-Type":   {"application/json"},
				"Content-Length": {strconv.Itoa(len(ev.Body))},
				"User-Agent":     {tc.wantUA},
			}
			if tc.wantAuthorizations != nil {
				wantHeader["Authorization"] = tc.wantAuthorizations
			}
			if fmt.Sprint(r.header) != fmt.Sprint(wantHeader) {
				t.Errorf("headers = %v, want exactly %v (no signature, no Accept-Encoding)", r.header, wantHeader)
			}
			for k := range r.header {
				if strings.Contains(strings.ToLower(k), "signature") {
					t.Errorf("sent %s: 8x8 SMS webhooks are not signed", k)
				}
			}
		})
	}
}

func TestSender_Send_status(t *testing.T) { forEachWire(t, testSend_status) }

func testSend_status(t *testing.T, fast bool) {
	t.Parallel()
	for _, tc := range []struct {
		code int
		body string
	}{
		{200, ""},
		{200, `{"ok":true}`},
		{202, ""},
		{202, "accepted"},
		{204, ""},
		{400, `{"error":"bad"}`},
		{401, ""},
		{404, "not here"},
		{500, "oops"},
		{503, ""},
	} {
		t.Run(fmt.Sprintf("%d_%dbytes", tc.code, len(tc.body)), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.code)
				io.WriteString(w, tc.body)
			}))
			o := newSender(t, mock8x8.SenderConfig{Fast: fast, URL: srv.URL, Authorization: secretAuth}).Send(context.Background(), clickEvent())
			if o.Status != tc.code || o.Error != mock8x8.ErrNone {
				t.Fatalf("Send = %+v, want status %d and no error", o, tc.code)
			}
			if ok := tc.code < 300; ok != (o.Message == "") {
				t.Errorf("Message = %q: want a message exactly when the status is not 2XX", o.Message)
			}
			if tc.code >= 300 && !strings.Contains(o.Message, strconv.Itoa(tc.code)) {
				t.Errorf("Message = %q, want it to name %d", o.Message, tc.code)
			}
		})
	}
}

func TestSender_Send_redirectsNotFollowed(t *testing.T) {
	forEachWire(t, testSend_redirectsNotFollowed)
}

func testSend_redirectsNotFollowed(t *testing.T, fast bool) {
	t.Parallel()
	var followed atomic.Int32
	elsewhere := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, target := range []string{"/elsewhere", elsewhere.URL + "/hook"} {
			t.Run(fmt.Sprintf("%d_to_%s", code, target), func(t *testing.T) {
				srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/elsewhere" {
						followed.Add(1)
						return
					}
					http.Redirect(w, r, target, code)
				}))
				o := newSender(t, mock8x8.SenderConfig{Fast: fast, URL: srv.URL + "/hook"}).Send(context.Background(), clickEvent())
				if o.Status != code || o.Error != mock8x8.ErrNone {
					t.Fatalf("Send = %+v, want status %d and no error", o, code)
				}
				if !strings.Contains(o.Message, "not follow") || !strings.Contains(o.Message, target) {
					t.Errorf("Message = %q, want it to say the redirect to %s is not followed", o.Message, target)
				}
			})
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect targets were requested %d times, want never", n)
	}
}

func TestSender_Send_boundedBodyRead(t *testing.T) { forEachWire(t, testSend_boundedBodyRead) }

func testSend_boundedBodyRead(t *testing.T, fast bool) {
	t.Parallel()
	chunk := strings.Repeat("x", 32<<10)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"1MiB with Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(1<<20))
			for i := 0; i < (1<<20)/len(chunk); i++ {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		}},
		{"endless chunked", func(w http.ResponseWriter, r *http.Request) {
			for {
				if _, err := io.WriteString(w, chunk); err != nil {
					return // the sender hung up, as it should
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tc.handler)
			start := time.Now()
			o := newSender(t, mock8x8.SenderConfig{Fast: fast, URL: srv.URL, Timeout: 3 * time.Second}).Send(context.Background(), clickEvent())
			if o.Status != 200 || o.Error != mock8x8.ErrNone {
				t.Fatalf("Send = %+v, want 200 and no error: the body must be read only up to MaxResponseBody", o)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Send took %v: the body was not read bounded", d)
			}
		})
	}
}

func TestSender_Send_reusesConnections(t *testing.T) { forEachWire(t, testSend_reusesConnections) }

func testSend_reusesConnections(t *testing.T, fast bool) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("a", 1000))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s := newSender(t, mock8x8.SenderConfig{Fast: fast, URL: srv.URL})
	for i := range 5 {
		if o := s.Send(context.Background(), clickEvent()); o.Status != 200 || o.Error != "" {
			t.Fatalf("Send #%d = %+v", i, o)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 sequential sends opened %d connections, want 1 (drained bodies keep connections reusable)", n)
	}
}

// TestSender_Send_http1Only: NewTransport never negotiates h2, even with a server offering it.
func TestSender_Send_http1Only(t *testing.T) {
	t.Parallel()
	protos := make(chan string, 1)
	srv := quietTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { protos <- r.Proto }), true)
	tr := mock8x8.NewTransport(time.Second)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	t.Cleanup(tr.CloseIdleConnections)
	o := newSender(t, mock8x8.SenderConfig{URL: srv.URL, Transport: tr}).Send(context.Background(), clickEvent())
	if o.Status != 200 || o.Error != "" {
		t.Fatalf("Send = %+v, want 200 over TLS with the test CA trusted", o)
	}
	if p := <-protos; p != "HTTP/1.1" {
		t.Errorf("protocol = %s, want HTTP/1.1", p)
	}
}

func TestSender_Send_errorClasses(t *testing.T) { forEachWire(t, testSend_errorClasses) }

func testSend_errorClasses(t *testing.T, fast bool) {
	t.Parallel()
	release := make(chan struct{})
	block := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	var tlsHits atomic.Int32
	tlsSrv := quietTLSServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { tlsHits.Add(1) }), false)
	plain := newServer(t, okHandler)
	slow := newServer(t, http.HandlerFunc(block))
	t.Cleanup(func() { close(release) }) // runs before the servers' Close
	for _, tc := range []struct {
		name       string
		url        func(t *testing.T) string
		wantStatus int
		want       mock8x8.ErrorClass
		wantMsg    string
		timeout    time.Duration // 0: 200ms
	}{
		{"refused", func(t *testing.T) string { return "http://" + closedPort(t) + "/hook" },
			0, mock8x8.ErrRefused, "connection refused; is the receiver running", 0},
		{"reset by RST", func(t *testing.T) string { return hijackServer(t, true).URL },
			0, mock8x8.ErrReset, "closed before a complete response", 0},
		{"closed before answering", func(t *testing.T) string { return hijackServer(t, false).URL },
			0, mock8x8.ErrReset, "closed before a complete response", 0},
		{"closed mid-body", func(t *testing.T) string {
			return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				partialBody(w)
				panic(http.ErrAbortHandler)
			})).URL
		}, 200, mock8x8.ErrReset, "answered 200 OK but the connection was closed before the body was complete", 0},
		{"timeout before headers", func(*testing.T) string { return slow.URL },
			0, mock8x8.ErrTimeout, "no response within 200ms", 0},
		{"timeout mid-body", func(t *testing.T) string {
			return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				partialBody(w)
				block(w, r)
			})).URL
		}, 200, mock8x8.ErrTimeout, "answered 200 OK but the body was not complete within 200ms", 0},
		{"tls untrusted certificate", func(*testing.T) string { return tlsSrv.URL },
			0, mock8x8.ErrTLS, "certificate", 2 * time.Second}, // loading the system roots may take a while
		{"tls to a plain HTTP server", func(*testing.T) string { return strings.Replace(plain.URL, "http:", "https:", 1) },
			0, mock8x8.ErrTLS, "answered in plain HTTP", 2 * time.Second},
		{"dns", func(*testing.T) string { return "http://receiver.clickcheck.invalid/8x8/clicks" },
			0, mock8x8.ErrDNS, "did not resolve", 2 * time.Second},
		{"other: not HTTP", func(t *testing.T) string { return "http://" + rawServer(t, "SSH-2.0-OpenSSH_9.6\r\n\r\n") },
			0, mock8x8.ErrOther, map[bool]string{false: "malformed HTTP response", true: "error when reading response headers"}[fast], 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := tc.url(t)
			timeout := cmp.Or(tc.timeout, 200*time.Millisecond)
			s := newSender(t, mock8x8.SenderConfig{Fast: fast, URL: u, Timeout: timeout, Authorization: secretAuth})
			start := time.Now()
			o := s.Send(context.Background(), clickEvent())
			t.Logf("Message: %s", o.Message)
			if o.Status != tc.wantStatus || o.Error != tc.want {
				t.Fatalf("Send = %+v, want status %d, class %q", o, tc.wantStatus, tc.want)
			}
			if !strings.Contains(o.Message, tc.wantMsg) || !strings.HasPrefix(o.Message, "POST "+u) {
				t.Errorf("Message = %q, want it to start with POST %s and contain %q", o.Message, u, tc.wantMsg)
			}
			if strings.Contains(o.Message, "s3cr3t") {
				t.Errorf("Message %q contains the Authorization value", o.Message)
			}
			if d := time.Since(start); d > timeout+time.Second {
				t.Errorf("Send took %v, want it bounded by the %v timeout", d, timeout)
			}
		})
	}
	if n := tlsHits.Load(); n != 0 {
		t.Errorf("the untrusted TLS server got %d requests, want 0", n)
	}
}

func TestSender_Send_callerCancels(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	o := newSender(t, mock8x8.SenderConfig{URL: srv.URL}).Send(ctx, clickEvent())
	if o.Status != 0 || o.Error != mock8x8.ErrOther || !strings.Contains(o.Message, "cancelled") {
		t.Fatalf("Send = %+v, want class other and a message saying cancelled", o)
	}
}

func TestSender_URL_redactsPassword(t *testing.T) {
	t.Parallel()
	u := "http://user:hunter2@" + closedPort(t) + "/hook"
	s := newSender(t, mock8x8.SenderConfig{URL: u})
	if strings.Contains(s.URL(), "hunter2") || !strings.Contains(s.URL(), "user") {
		t.Errorf("URL() = %q, want the user kept and the password redacted", s.URL())
	}
	if o := s.Send(context.Background(), clickEvent()); o.Error != mock8x8.ErrRefused || strings.Contains(o.Message, "hunter2") {
		t.Errorf("Send = %+v, want refused without the password in the message", o)
	}
}

func TestNewSender_invalid(t *testing.T) {
	t.Parallel()
	oauth := func(mod func(*mock8x8.OAuthConfig)) *mock8x8.OAuthConfig {
		c := &mock8x8.OAuthConfig{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "secret"}
		mod(c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  mock8x8.SenderConfig
		want string // in the error, besides an example
	}{
		{"empty URL", mock8x8.SenderConfig{}, "webhook URL is empty"},
		{"ftp", mock8x8.SenderConfig{URL: "ftp://x"}, `scheme "ftp"`},
		{"no scheme", mock8x8.SenderConfig{URL: "receiver.example.com/hook"}, "must be http or https"},
		{"no host", mock8x8.SenderConfig{URL: "http:///hook"}, "has no host"},
		{"port only", mock8x8.SenderConfig{URL: "http://:8080/hook"}, "has no host"},
		{"unparsable", mock8x8.SenderConfig{URL: "http://u:hunter2@[::1/hook"}, "does not parse"},
		{"password not echoed", mock8x8.SenderConfig{URL: "ftp://u:hunter2@x"}, "must be http or https"},
		{"negative timeout", mock8x8.SenderConfig{URL: "http://x", Timeout: -time.Second}, "negative"},
		{"Authorization and OAuth", mock8x8.SenderConfig{URL: "http://x", Authorization: "Bearer x", OAuth: oauth(func(*mock8x8.OAuthConfig) {})}, "not both"},
		{"Authorization with a newline", mock8x8.SenderConfig{URL: "http://x", Authorization: "Bearer x\r\nX-Evil: 1"}, "control character"},
		{"OAuth without token URL", mock8x8.SenderConfig{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.TokenURL = "" })}, "OAuth token URL is empty"},
		{"OAuth token URL not http", mock8x8.SenderConfig{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.TokenURL = "ldap://x" })}, "OAuth token URL"},
		{"OAuth without client id", mock8x8.SenderConfig{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.ClientID = "" })}, "client id and a client secret"},
		{"OAuth without secret", mock8x8.SenderConfig{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.ClientSecret = "" })}, "client id and a client secret"},
		{"OAuth credentials location", mock8x8.SenderConfig{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.CredentialsLocation = "query" })}, `"header" (HTTP Basic) or "body"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mock8x8.NewSender(tc.cfg)
			if err == nil {
				s.Close()
				t.Fatalf("NewSender(%+v) = nil error, want one containing %q", tc.cfg, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to contain %q", msg, tc.want)
			}
			if !strings.Contains(msg, "e.g.") && !strings.Contains(msg, "use ") {
				t.Errorf("error %q shows no valid example", msg)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "X-Evil") {
				t.Errorf("error %q repeats a credential", msg)
			}
		})
	}
	for _, cfg := range []mock8x8.SenderConfig{
		{URL: "http://127.0.0.1:8080/hook"},
		{URL: "https://receiver.example.com/8x8/clicks", Authorization: "Basic dXNlcjpwYXNzd29yZA==", Timeout: time.Second},
		{URL: "http://[::1]:9/x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.CredentialsLocation = "body" })},
		{URL: "http://x", OAuth: oauth(func(c *mock8x8.OAuthConfig) { c.CredentialsLocation = "Header" })},
	} {
		s, err := mock8x8.NewSender(cfg)
		if err != nil {
			t.Errorf("NewSender(%+v): %v, want it accepted", cfg, err)
			continue
		}
		s.Close()
	}
}

// timeoutError is a net.Error that timed out, as a deadline on a conn gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestClassifyError(t *testing.T) {
	t.Parallel()
	op := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want mock8x8.ErrorClass
	}{
		{"nil", nil, mock8x8.ErrNone},
		{"refused", op(syscall.ECONNREFUSED), mock8x8.ErrRefused},
		{"reset", op(syscall.ECONNRESET), mock8x8.ErrReset},
		{"aborted", op(syscall.ECONNABORTED), mock8x8.ErrReset},
		{"broken pipe", op(syscall.EPIPE), mock8x8.ErrReset},
		{"EOF", &url.Error{Op: "Post", URL: "u", Err: io.EOF}, mock8x8.ErrReset},
		{"unexpected EOF in body", fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), mock8x8.ErrReset},
		{"server closed idle connection", &url.Error{Op: "Post", URL: "u", Err: errors.New("http: server closed idle connection")}, mock8x8.ErrReset},
		{"deadline", &url.Error{Op: "Post", URL: "u", Err: context.DeadlineExceeded}, mock8x8.ErrTimeout},
		{"conn deadline", op(os.ErrDeadlineExceeded), mock8x8.ErrTimeout},
		{"net.Error timeout", fmt.Errorf("read: %w", timeoutError{}), mock8x8.ErrTimeout},
		{"dns not found", op(&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}), mock8x8.ErrDNS},
		{"dns timeout is dns", op(&net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true}), mock8x8.ErrDNS},
		{"tls record header", &url.Error{Op: "Post", URL: "u", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, mock8x8.ErrTLS},
		{"tls record header pointer", &tls.RecordHeaderError{Msg: "x"}, mock8x8.ErrTLS},
		{"http answer to https", &url.Error{Op: "Post", URL: "u", Err: http.ErrSchemeMismatch}, mock8x8.ErrTLS},
		{"tls alert", fmt.Errorf("handshake: %w", tls.AlertError(40)), mock8x8.ErrTLS},
		{"tls remote alert", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, mock8x8.ErrTLS},
		{"certificate verification", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, mock8x8.ErrTLS},
		{"x509 hostname", fmt.Errorf("x: %w", x509.HostnameError{Host: "x"}), mock8x8.ErrTLS},
		{"x509 expired", x509.CertificateInvalidError{Reason: x509.Expired}, mock8x8.ErrTLS},
		{"caller cancelled", &url.Error{Op: "Post", URL: "u", Err: context.Canceled}, mock8x8.ErrOther},
		{"anything else", errors.New("net/http: HTTP/1.x transport connection broken: malformed HTTP response"), mock8x8.ErrOther},
	} {
		if got := mock8x8.ClassifyError(tc.err); got != tc.want {
			t.Errorf("%s: ClassifyError(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hijackServer closes every connection once the request has arrived, with a reset (rst)
// or an orderly close.
func hijackServer(tb testing.TB, rst bool) *httptest.Server {
	return newServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			tb.Errorf("hijack: %v", err)
			return
		}
		if rst {
			conn.(*net.TCPConn).SetLinger(0)
		}
		conn.Close()
	}))
}

// partialBody sends 200 and 10 of 1000 announced body bytes.
func partialBody(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(200)
	io.WriteString(w, "0123456789")
	w.(http.Flusher).Flush()
}

// rawServer answers every connection with reply and closes it; it returns the address.
func rawServer(tb testing.TB, reply string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(time.Second))
			c.Read(make([]byte, 4096))
			io.WriteString(c, reply)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestSender_ContentTypeCanBeVaried(t *testing.T) {
	t.Parallel()
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	for _, ct := range []string{"", "application/json; charset=utf-8"} {
		s, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: srv.URL, ContentType: ct})
		if err != nil {
			t.Fatal(err)
		}
		if o := s.Send(context.Background(), mock8x8.Event{Body: `{}`}); o.Status != 200 {
			t.Fatalf("Send: %+v", o)
		}
		s.Close()
		want := ct
		if want == "" {
			want = "application/json"
		}
		if h := <-got; h != want {
			t.Errorf("Content-Type %q, want %q", h, want)
		}
	}
}
