package mock8x8

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Where an OAuthConfig sends the client id and secret, named as in 8x8's webhook
// configuration (credentialsLocation).
const (
	// CredentialsInHeader sends them as HTTP Basic authentication (the default).
	CredentialsInHeader = "header"
	// CredentialsInBody sends them as the form fields client_id and client_secret.
	CredentialsInBody = "body"
)

// exampleTokenURL is the valid value error messages show.
const exampleTokenURL = "https://auth.example.com/oauth2/token"

// tokenEarlyRenewal is how long before its expiry a token is fetched again (as
// golang.org/x/oauth2 does), but at most half its lifetime, so short-lived tokens are
// still reused.
const tokenEarlyRenewal = 10 * time.Second

// OAuthConfig is 8x8's optional OAuth 2.0 client-credentials setting of a webhook: the
// Sender gets an access token from TokenURL (grant_type=client_credentials), sends it as
// "Bearer <token>", reuses it until shortly before expires_in runs out and then gets a new
// one. A token without expires_in is reused for the Sender's lifetime.
type OAuthConfig struct {
	// TokenURL is the token endpoint (8x8's oauth.url); http or https.
	TokenURL string
	// ClientID and ClientSecret are the client's credentials; both are required.
	ClientID, ClientSecret string
	// CredentialsLocation is CredentialsInHeader (HTTP Basic; "" means this) or
	// CredentialsInBody (form fields).
	CredentialsLocation string
	// Scopes are requested as the space-separated scope parameter; optional.
	Scopes []string
}

// tokenSource fetches and caches the token. It is safe for concurrent use: one fetch at a
// time, and attempts waiting for it give up when their own deadline passes.
type tokenSource struct {
	conf     *clientcredentials.Config
	endpoint string // the token URL with any password redacted, for messages
	client   *http.Client
	clock    Clock

	lock    chan struct{} // a one-slot mutex whose wait can be abandoned
	tok     string        // guarded by lock; "" when none
	renewAt time.Time     // guarded by lock; zero when tok never expires
}

func newTokenSource(c OAuthConfig, client *http.Client, clock Clock) (*tokenSource, error) {
	u, err := parseHTTPURL("OAuth token URL", c.TokenURL, exampleTokenURL)
	if err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, errors.New(`mock8x8: OAuth needs both a client id and a client secret (e.g. client id "clickcheck", client secret "s3cr3t")`)
	}
	style := oauth2.AuthStyleInHeader
	switch strings.ToLower(strings.TrimSpace(c.CredentialsLocation)) {
	case "", CredentialsInHeader:
	case CredentialsInBody:
		style = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("mock8x8: OAuth credentials location %q is unknown: use %q (HTTP Basic) or %q (form fields)", c.CredentialsLocation, CredentialsInHeader, CredentialsInBody)
	}
	return &tokenSource{
		conf: &clientcredentials.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			TokenURL:     c.TokenURL,
			Scopes:       append([]string(nil), c.Scopes...),
			AuthStyle:    style,
		},
		endpoint: u.Redacted(),
		client:   client,
		clock:    clock,
		lock:     make(chan struct{}, 1),
	}, nil
}

// token returns a valid access token, fetching one within ctx when none is cached.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	select {
	case ts.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-ts.lock }()
	if ts.tok != "" && (ts.renewAt.IsZero() || ts.clock.Now().Before(ts.renewAt)) {
		return ts.tok, nil
	}
	ts.tok = ""
	// x/oauth2 fetches with the *http.Client in the context: the Sender's, so the fetch
	// shares its transport, refuses redirects and ends with the attempt.
	t, err := ts.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, ts.client))
	if err != nil {
		return "", err
	}
	ts.tok, ts.renewAt = t.AccessToken, time.Time{}
	if !t.Expiry.IsZero() {
		// x/oauth2 stamps Expiry in real time; age the token on the Sender's clock.
		life := time.Until(t.Expiry)
		ts.renewAt = ts.clock.Now().Add(life - min(tokenEarlyRenewal, life/2))
	}
	return ts.tok, nil
}

// tokenFailure classifies and explains an attempt that got no token; no request was sent.
// The message names the endpoint and what it answered, never the credentials.
func (s *Sender) tokenFailure(ctx, actx context.Context, err error) (ErrorClass, string) {
	head := "POST " + s.redacted + " not sent: no OAuth token: "
	if ctx.Err() != nil {
		return ErrOther, head + "cancelled before the attempt ended (" + context.Cause(ctx).Error() + ")"
	}
	ep := "the token endpoint " + s.tokens.endpoint
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && re.Response != nil {
		msg := ep + " answered " + statusText(re.Response.StatusCode)
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode
			if re.ErrorDescription != "" {
				msg += ": " + re.ErrorDescription
			}
			msg += ")"
		}
		return ErrOAuth, head + msg
	}
	if actx.Err() != nil {
		return ErrOAuth, head + ep + " gave no token within " + s.timeout.String()
	}
	switch ClassifyError(err) {
	case ErrRefused:
		return ErrOAuth, head + ep + " refused the connection"
	default:
		return ErrOAuth, head + ep + ": " + unwrapURLError(err).Error()
	}
}
