package mock8x8

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"
)

// fastWire carries a Fast Sender's requests over fasthttp's HostClient, which makes each
// request in the caller's goroutine instead of handing it to per-connection reader and
// writer goroutines as net/http does.
type fastWire struct {
	client *fasthttp.HostClient
	uri    string // the webhook URL without userinfo
	basic  string // "Basic ..." from the URL's userinfo; empty without one
}

func newFastWire(u *url.URL, timeout time.Duration, maxConns int) *fastWire {
	if maxConns <= 0 {
		maxConns = 4096
	}
	clean := *u
	w := &fastWire{}
	if u.User != nil {
		pass, _ := u.User.Password()
		w.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
		clean.User = nil
	}
	w.uri = clean.String()
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	w.client = &fasthttp.HostClient{
		Addr:                     addr,
		IsTLS:                    u.Scheme == "https",
		TLSConfig:                &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12},
		MaxConns:                 maxConns,
		MaxConnWaitTimeout:       timeout,
		MaxIdleConnDuration:      90 * time.Second,
		NoDefaultUserAgentHeader: true,
		// 8x8 never resends a POST on its own; only the retry schedule does.
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		StreamResponseBody:        true,
		DisablePathNormalizing:    true,
	}
	return w
}

// attempt makes one POST of ev and fills o, like Sender.attempt does over net/http.
func (w *fastWire) attempt(s *Sender, ctx, actx context.Context, ev Event, auth string, o *Outcome) {
	deadline, _ := actx.Deadline()
	if auth == "" {
		auth = w.basic
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(w.uri)
	req.Header.SetMethod("POST")
	req.Header.SetContentType(s.ctype)
	req.Header.SetUserAgent(s.ua)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.SetBodyString(ev.Body)
	if err := w.client.DoDeadline(req, resp, deadline); err != nil {
		o.Error, o.Message = s.failure(ctx, actx, fastError(err), "")
		return
	}
	o.Status = resp.StatusCode()
	// As over net/http: at most MaxResponseBody is read; closing the stream lets fasthttp
	// reuse the connection or drop it if more was sent.
	var err error
	if body := resp.BodyStream(); body != nil {
		_, err = io.Copy(io.Discard, io.LimitReader(body, MaxResponseBody))
	}
	if cerr := resp.CloseBodyStream(); err == nil && cerr != nil && !errors.Is(cerr, io.EOF) {
		err = cerr
	}
	if err != nil {
		o.Error, o.Message = s.failure(ctx, actx, fastError(err), statusText(o.Status))
		return
	}
	o.Message = s.statusMessage(o.Status, string(resp.Header.Peek("Location")))
}

// fastError gives fasthttp's own errors the meaning ClassifyError looks for.
func fastError(err error) error {
	if rh, ok := errors.AsType[tls.RecordHeaderError](err); ok && bytes.HasPrefix(rh.RecordHeader[:], []byte("HTTP/")) {
		return &wrappedErr{err: err, also: http.ErrSchemeMismatch} // as net/http reports it
	}
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, fasthttp.ErrTLSHandshakeTimeout), errors.Is(err, fasthttp.ErrNoFreeConns):
		return &wrappedErr{err: err, also: context.DeadlineExceeded}
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return &wrappedErr{err: err, also: io.ErrUnexpectedEOF}
	}
	return err
}

// wrappedErr keeps fasthttp's message while matching also in errors.Is.
type wrappedErr struct{ err, also error }

func (e *wrappedErr) Error() string   { return e.err.Error() }
func (e *wrappedErr) Unwrap() []error { return []error{e.err, e.also} }
