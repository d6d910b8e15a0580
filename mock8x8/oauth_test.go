package mock8x8_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/clickcheck/clickcheck/mock8x8"
)

const (
	testClientID     = "clickcheck-client"
	testClientSecret = "s3cr3t-client-secret"
)

// tokenEndpoint is an OAuth token endpoint that checks each request as 8x8 would send it
// and counts them; its nth answer is answer(n).
type tokenEndpoint struct {
	*httptest.Server
	hits atomic.Int32
}

func newTokenEndpoint(t *testing.T, location string, scope string, answer func(n int, w http.ResponseWriter, r *http.Request)) *tokenEndpoint {
	t.Helper()
	te := &tokenEndpoint{}
	te.Server = newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(te.hits.Add(1))
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("token request %s with Content-Type %q, want a POSTed form", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request form: %v", err)
		}
		if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
			t.Errorf("grant_type = %q, want client_credentials", g)
		}
		if s := r.PostForm.Get("scope"); s != scope {
			t.Errorf("scope = %q, want %q", s, scope)
		}
		id, secret, basic := r.BasicAuth()
		formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		switch location {
		case mock8x8.CredentialsInBody:
			if basic || formID != testClientID || formSecret != testClientSecret {
				t.Errorf("credentials: Basic %v, form %q/%q; want only the form fields client_id and client_secret", basic, formID, formSecret)
			}
		default:
			if !basic || id != testClientID || secret != testClientSecret || formID != "" || formSecret != "" {
				t.Errorf("credentials: Basic %v %q/%q, form %q/%q; want only HTTP Basic", basic, id, secret, formID, formSecret)
			}
		}
		answer(n, w, r)
	}))
	return te
}

// grant answers a token "tok-n" with the given expires_in (none when 0).
func grant(expiresIn int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		exp := ""
		if expiresIn > 0 {
			exp = fmt.Sprintf(`,"expires_in":%d`, expiresIn)
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer"%s}`, n, exp)
	}
}

// authRecorder is a receiver that records the Authorization header of each request.
type authRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newAuthRecorder(t *testing.T) *authRecorder {
	ar := &authRecorder{}
	ar.Server = newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		ar.mu.Lock()
		ar.seen = append(ar.seen, r.Header.Get("Authorization"))
		ar.mu.Unlock()
	}))
	return ar
}

func (ar *authRecorder) requests() []string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return append([]string(nil), ar.seen...)
}

func (ar *authRecorder) last() string {
	s := ar.requests()
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func TestSender_OAuth_credentialsAndCaching(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		location string
		scopes   []string
	}{
		{"", nil},
		{mock8x8.CredentialsInHeader, []string{"sms.webhooks", "sms.read"}},
		{mock8x8.CredentialsInBody, []string{"webhooks"}},
	} {
		t.Run("location="+tc.location, func(t *testing.T) {
			t.Parallel()
			te := newTokenEndpoint(t, tc.location, strings.Join(tc.scopes, " "), grant(3600))
			rcv := newAuthRecorder(t)
			s := newSender(t, mock8x8.SenderConfig{URL: rcv.URL, OAuth: &mock8x8.OAuthConfig{
				TokenURL: te.URL + "/oauth2/token", ClientID: testClientID, ClientSecret: testClientSecret,
				CredentialsLocation: tc.location, Scopes: tc.scopes,
			}})
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					if o := s.Send(context.Background(), clickEvent()); o.Status != 200 || o.Error != "" {
						t.Errorf("Send = %+v, want 200", o)
					}
				})
			}
			wg.Wait()
			if n := te.hits.Load(); n != 1 {
				t.Errorf("token endpoint hit %d times by 20 concurrent sends, want 1 (cached while valid)", n)
			}
			got := rcv.requests()
			if len(got) != 20 {
				t.Fatalf("receiver got %d requests, want 20", len(got))
			}
			for _, a := range got {
				if a != "Bearer tok-1" {
					t.Fatalf("receiver saw Authorization %q, want Bearer tok-1", a)
				}
			}
		})
	}
}

// TestSender_OAuth_expiry ages tokens on a fake clock: a token is reused until 10 s before
// expires_in runs out, but at most half its lifetime early, then fetched again.
func TestSender_OAuth_expiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expiresIn       int
		cached, renewed time.Duration // clock offsets: still reused at cached, fetched again by renewed
	}{
		{1, 400 * time.Millisecond, 600 * time.Millisecond},
		{4, 1500 * time.Millisecond, 2500 * time.Millisecond},
		{60, 49 * time.Second, 51 * time.Second},
		{3600, 3589 * time.Second, 3591 * time.Second},
		{0, 1000 * time.Hour, 0}, // no expires_in: reused for good
	} {
		t.Run(fmt.Sprintf("expires_in=%d", tc.expiresIn), func(t *testing.T) {
			t.Parallel()
			te := newTokenEndpoint(t, "", "", grant(tc.expiresIn))
			rcv := newAuthRecorder(t)
			clock := clockwork.NewFakeClock()
			s := newSender(t, mock8x8.SenderConfig{URL: rcv.URL, Clock: clock, OAuth: &mock8x8.OAuthConfig{
				TokenURL: te.URL, ClientID: testClientID, ClientSecret: testClientSecret,
			}})
			start := clock.Now()
			send := func(wantAuth string, wantHits int32) {
				t.Helper()
				if o := s.Send(context.Background(), clickEvent()); o.Status != 200 {
					t.Fatalf("Send = %+v, want 200", o)
				}
				if a, n := rcv.last(), te.hits.Load(); a != wantAuth || n != wantHits {
					t.Fatalf("at +%v: receiver saw %q after %d token requests, want %q after %d",
						clock.Since(start), a, n, wantAuth, wantHits)
				}
			}
			send("Bearer tok-1", 1)
			clock.Advance(tc.cached)
			send("Bearer tok-1", 1)
			if tc.renewed == 0 {
				return
			}
			clock.Advance(tc.renewed - tc.cached)
			send("Bearer tok-2", 2)
			send("Bearer tok-2", 2)
		})
	}
}

func TestSender_OAuth_noToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer func(int, http.ResponseWriter, *http.Request)
		want   []string
	}{
		{"401 with an OAuth error", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		}, []string{"answered 401 Unauthorized (invalid_client: client authentication failed)"}},
		{"500 without details", func(_ int, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, []string{"answered 500 Internal Server Error"}},
		{"redirect not followed", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusFound)
		}, []string{"answered 302 Found"}},
		{"200 without access_token", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"token_type":"bearer"}`)
		}, []string{"missing access_token"}},
		{"too slow", func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, []string{"gave no token within 300ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			te := newTokenEndpoint(t, "", "", tc.answer)
			rcv := newAuthRecorder(t)
			s := newSender(t, mock8x8.SenderConfig{URL: rcv.URL, Timeout: 300 * time.Millisecond, OAuth: &mock8x8.OAuthConfig{
				TokenURL: te.URL + "/token", ClientID: testClientID, ClientSecret: testClientSecret,
			}})
			o := s.Send(context.Background(), clickEvent())
			t.Logf("Message: %s", o.Message)
			if o.Status != 0 || o.Error != mock8x8.ErrOAuth {
				t.Fatalf("Send = %+v, want status 0 and class oauth", o)
			}
			for _, w := range append(tc.want, te.URL+"/token", "no OAuth token") {
				if !strings.Contains(o.Message, w) {
					t.Errorf("Message = %q, want it to contain %q", o.Message, w)
				}
			}
			if strings.Contains(o.Message, testClientSecret) {
				t.Errorf("Message %q contains the client secret", o.Message)
			}
			if n := len(rcv.requests()); n != 0 {
				t.Errorf("receiver got %d requests without a token, want 0", n)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		rcv := newAuthRecorder(t)
		tokenURL := "http://" + closedPort(t) + "/token"
		o := newSender(t, mock8x8.SenderConfig{URL: rcv.URL, OAuth: &mock8x8.OAuthConfig{
			TokenURL: tokenURL, ClientID: testClientID, ClientSecret: testClientSecret,
		}}).Send(context.Background(), clickEvent())
		if o.Error != mock8x8.ErrOAuth || !strings.Contains(o.Message, tokenURL+" refused the connection") {
			t.Errorf("Send = %+v, want class oauth naming %s as refusing", o, tokenURL)
		}
		if n := len(rcv.requests()); n != 0 {
			t.Errorf("receiver got %d requests without a token, want 0", n)
		}
	})
}

// TestSender_OAuth_failureNotCached: after a failed fetch the next attempt asks again.
func TestSender_OAuth_failureNotCached(t *testing.T) {
	t.Parallel()
	te := newTokenEndpoint(t, "", "", func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		grant(3600)(n, w, r)
	})
	rcv := newAuthRecorder(t)
	s := newSender(t, mock8x8.SenderConfig{URL: rcv.URL, OAuth: &mock8x8.OAuthConfig{
		TokenURL: te.URL, ClientID: testClientID, ClientSecret: testClientSecret,
	}})
	if o := s.Send(context.Background(), clickEvent()); o.Error != mock8x8.ErrOAuth {
		t.Fatalf("first Send = %+v, want class oauth", o)
	}
	if o := s.Send(context.Background(), clickEvent()); o.Status != 200 || rcv.last() != "Bearer tok-2" {
		t.Fatalf("second Send = %+v with %q, want 200 with Bearer tok-2", o, rcv.last())
	}
}
