package main

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// deliveryFlags say how events are delivered: to where, with which credentials, and on
// which retry schedule. send and load share them, so both deliver exactly alike.
type deliveryFlags struct {
	to, auth, userAgent string
	oauth               mock8x8.OAuthConfig
	oauthScope          string
	timeout             time.Duration
	timeScale           float64
	fromFirst           bool
}

func (d *deliveryFlags) register(f *pflag.FlagSet) {
	f.StringVar(&d.to, "to", "", "the receiver's webhook URL (http or https)")
	f.StringVar(&d.auth, "auth", "", `static Authorization header value sent with every request, e.g. "Bearer 9QQhlsEb8VY"`)
	f.StringVar(&d.oauth.TokenURL, "oauth-token-url", "", "OAuth 2.0 token endpoint: send a client-credentials token instead of --auth")
	f.StringVar(&d.oauth.ClientID, "oauth-client-id", "", "OAuth client id")
	f.StringVar(&d.oauth.ClientSecret, "oauth-client-secret", "", "OAuth client secret")
	f.StringVar(&d.oauth.CredentialsLocation, "oauth-credentials-location", "header", "where the client credentials go: header (HTTP Basic) or body")
	f.StringVar(&d.oauthScope, "oauth-scope", "", "OAuth scopes, space separated (optional)")
	f.StringVar(&d.userAgent, "user-agent", mock8x8.DefaultUserAgent, "User-Agent header")
	f.DurationVar(&d.timeout, "timeout", mock8x8.DefaultTimeout, "per-attempt timeout")
	f.Float64Var(&d.timeScale, "time-scale", 1, "multiply the retry intervals by this factor (0.01: a full schedule in about 1.3 s)")
	f.BoolVar(&d.fromFirst, "from-first-attempt", false, "count retry intervals from the first attempt's start instead of the previous attempt's end")
}

// validate checks the delivery flags; --to is checked only when given.
func (d *deliveryFlags) validate() error {
	switch {
	case d.timeout <= 0:
		return usagef("--timeout", "--timeout 5s", "%s: the per-attempt timeout must be positive", d.timeout)
	case !(d.timeScale > 0) || d.timeScale > 1000:
		return usagef("--time-scale", "--time-scale 0.01", "%g: must be a positive factor (1 is real time) no larger than 1000", d.timeScale)
	case d.auth != "" && d.oauth.TokenURL != "":
		return usagef("--auth", `--auth "Bearer 9QQhlsEb8VY"`, "cannot be combined with --oauth-token-url; 8x8 sends either a static value or an OAuth token")
	case strings.ContainsFunc(d.auth, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return usagef("--auth", `--auth "Bearer 9QQhlsEb8VY"`, "contains a control character (a line break?); an HTTP header value cannot carry one")
	case d.oauth.TokenURL == "" && (d.oauth.ClientID != "" || d.oauth.ClientSecret != "" || d.oauthScope != ""):
		// Without a token endpoint these would be ignored, and events sent with no credentials.
		return usagef("--oauth-token-url", "--oauth-token-url https://auth.example.com/oauth2/token", "is required with --oauth-client-id, --oauth-client-secret and --oauth-scope")
	}
	if d.to != "" {
		if err := mock8x8.CheckURL(d.to); err != nil {
			return usagef("--to", exampleTo, "%q %v", d.to, err)
		}
	}
	if d.oauth.TokenURL != "" {
		if err := mock8x8.CheckURL(d.oauth.TokenURL); err != nil {
			return usagef("--oauth-token-url", "--oauth-token-url https://auth.example.com/oauth2/token", "%q %v", d.oauth.TokenURL, err)
		}
		if d.oauth.ClientID == "" {
			return usagef("--oauth-client-id", "--oauth-client-id my-client", "is required with --oauth-token-url")
		}
		if d.oauth.ClientSecret == "" {
			return usagef("--oauth-client-secret", "--oauth-client-secret \"$CLIENT_SECRET\"", "is required with --oauth-token-url")
		}
	}
	if loc := d.oauth.CredentialsLocation; loc != "header" && loc != "body" {
		return usagef("--oauth-credentials-location", "--oauth-credentials-location body", "%q: must be header or body", loc)
	}
	return nil
}

func (d *deliveryFlags) senderConfig(target string) mock8x8.SenderConfig {
	cfg := mock8x8.SenderConfig{URL: target, Timeout: d.timeout, UserAgent: d.userAgent, Authorization: d.auth}
	if d.oauth.TokenURL != "" {
		o := d.oauth
		o.Scopes = strings.Fields(d.oauthScope)
		cfg.OAuth = &o
	}
	return cfg
}

func (d *deliveryFlags) schedule() mock8x8.Schedule {
	sched := mock8x8.DefaultSchedule().Scaled(d.timeScale)
	sched.FromFirstAttempt = d.fromFirst
	return sched
}
