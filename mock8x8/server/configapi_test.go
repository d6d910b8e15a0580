package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clickcheck/clickcheck/mock8x8/server"
)

const hooksPath = "/api/v1/accounts/" + account + "/webhooks"

// apiError is 8x8's error document.
type apiError struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	ErrorID   string `json:"errorId"`
	Timestamp string `json:"timestamp"`
}

// wantAPIError checks an answer is 8x8's error document with the status and code.
func wantAPIError(t *testing.T, what string, gotStatus int, body []byte, status, code int, msgHas string) {
	t.Helper()
	if gotStatus != status {
		t.Errorf("%s: status %d, want %d; body %s", what, gotStatus, status, body)
		return
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: error body is not JSON: %s", what, body)
		return
	}
	if e.Code != code {
		t.Errorf("%s: code %d, want %d (%s)", what, e.Code, code, body)
	}
	if _, err := uuid.Parse(e.ErrorID); err != nil {
		t.Errorf("%s: errorId %q is not a uuid", what, e.ErrorID)
	}
	if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
		t.Errorf("%s: timestamp %q is not RFC 3339", what, e.Timestamp)
	}
	if !strings.Contains(e.Message, msgHas) {
		t.Errorf("%s: message %q, want it to say %q", what, e.Message, msgHas)
	}
}

type hook struct {
	SubAccountID      string `json:"subAccountId"`
	URL               string `json:"url"`
	HTTPAuthorization string `json:"httpAuthorization,omitempty"`
	Enabled           bool   `json:"enabled"`
	OAuth             *struct {
		URL                 string `json:"url"`
		ClientID            string `json:"clientId"`
		ClientSecret        string `json:"clientSecret"`
		CredentialsLocation string `json:"credentialsLocation"`
		Scope               string `json:"scope"`
	} `json:"oauth"`
}

func listHooks(t *testing.T, m *mock, key string) []hook {
	t.Helper()
	code, body := m.call(t, "GET", hooksPath, key, nil)
	if code != 200 {
		t.Fatalf("GET webhooks: %d %s", code, body)
	}
	var hooks []hook
	mustJSON(t, body, &hooks)
	return hooks
}

func TestConfigAPI_CreatesReplacesListsMaskedAndDeletes(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{APIKey: "k"}, nil)
	code, body := m.call(t, "POST", hooksPath, "k", `[
		{"subAccountId": "*", "url": "https://hooks.example.com/global", "httpAuthorization": "Bearer s3cret-static"},
		{"subAccountId": "acme_sms", "url": "https://hooks.example.com/acme", "enabled": false,
		 "oauth": {"url": "https://auth.example.com/token", "clientId": "cid", "clientSecret": "s3cret-client", "scope": "a b"}}]`)
	if code != 200 {
		t.Fatalf("POST webhooks: %d %s", code, body)
	}
	if strings.Contains(string(body), "s3cret") {
		t.Errorf("POST answer shows a secret: %s", body)
	}
	hooks := listHooks(t, m, "k")
	if len(hooks) != 2 {
		t.Fatalf("GET lists %d webhooks, want 2: %+v", len(hooks), hooks)
	}
	global, acme := hooks[0], hooks[1]
	if global.SubAccountID != "*" || global.URL != "https://hooks.example.com/global" || !global.Enabled || global.HTTPAuthorization != "***" {
		t.Errorf("global webhook listed as %+v, want its URL, enabled by default, httpAuthorization \"***\"", global)
	}
	if acme.Enabled || acme.OAuth == nil || acme.OAuth.ClientSecret != "***" || acme.OAuth.ClientID != "cid" ||
		acme.OAuth.CredentialsLocation != "header" || acme.OAuth.Scope != "a b" {
		t.Errorf("acme webhook listed as %+v (oauth %+v), want disabled, clientSecret \"***\", location header by default", acme, acme.OAuth)
	}

	// Create-or-replace is keyed by subAccountId: the global one is replaced, acme kept.
	code, body = m.call(t, "POST", hooksPath, "k", `[{"subAccountId": "*", "url": "https://hooks.example.com/v2"}]`)
	if code != 200 {
		t.Fatalf("POST replacing the global webhook: %d %s", code, body)
	}
	hooks = listHooks(t, m, "k")
	if len(hooks) != 2 || hooks[0].URL != "https://hooks.example.com/v2" || hooks[0].HTTPAuthorization != "" || hooks[1].SubAccountID != "acme_sms" {
		t.Errorf("after replacing: %+v, want the global webhook at /v2 without authorization and acme_sms kept", hooks)
	}

	// "*" deletes only the global-scope webhook: it is not a wildcard.
	code, body = m.call(t, "DELETE", hooksPath, "k", `[{"subAccountId": "*"}]`)
	if code != 200 {
		t.Fatalf("DELETE *: %d %s", code, body)
	}
	if hooks = listHooks(t, m, "k"); len(hooks) != 1 || hooks[0].SubAccountID != "acme_sms" {
		t.Errorf("after DELETE *: %+v, want only acme_sms left", hooks)
	}
	// Other accounts are separate, and a dashed accountId is valid.
	other := "/api/v1/accounts/1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9/webhooks"
	if code, body := m.call(t, "GET", other, "k", nil); code != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET another account: %d %s, want 200 []", code, body)
	}
	// The same account written with dashes and in capitals is the same account.
	dashed := strings.ToUpper(account[:8] + "-" + account[8:12] + "-" + account[12:16] + "-" + account[16:20] + "-" + account[20:])
	code, body = m.call(t, "GET", "/api/v1/accounts/"+dashed+"/webhooks", "k", nil)
	if code != 200 || !strings.Contains(string(body), "acme_sms") {
		t.Errorf("GET the account as %s: %d %s, want acme_sms: dashes and case are notation", dashed, code, body)
	}
	// A password in a URL is a secret too.
	code, body = m.call(t, "POST", hooksPath, "k", `[{"subAccountId": "pw", "url": "https://user:s3cret-url@hooks.example.com/pw",
		"oauth": {"url": "https://tok:s3cret-tok@auth.example.com/token", "clientId": "cid", "clientSecret": "x"}}]`)
	if code != 200 || strings.Contains(string(body), "s3cret") {
		t.Errorf("POST a webhook with passwords in its URLs: %d %s, want 200 without them", code, body)
	}
	if _, body := m.call(t, "GET", hooksPath, "k", nil); strings.Contains(string(body), "s3cret") || !strings.Contains(string(body), "hooks.example.com/pw") {
		t.Errorf("GET shows a password from a URL, or not the URL: %s", body)
	}
}

func TestConfigAPI_ErrorsInTheDocumentedShape(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{APIKey: "k"}, nil)
	good := `[{"subAccountId": "*", "url": "https://hooks.example.com/8x8"}]`
	if code, body := m.call(t, "POST", hooksPath, "k", good); code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	for _, c := range []struct {
		name, method, path, key, body string
		status, code                  int
		says                          string
	}{
		{"no key", "GET", hooksPath, "", "", 401, 1200, "not authenticated"},
		{"wrong key", "POST", hooksPath, "nope", good, 401, 1200, "not authenticated"},
		{"accountId not hex", "GET", "/api/v1/accounts/not-an-account/webhooks", "k", "", 400, 1001, "32 hex digits"},
		{"accountId too short", "GET", "/api/v1/accounts/0a1b2c3d4e5f/webhooks", "k", "", 400, 1001, "accountId"},
		{"malformed JSON", "POST", hooksPath, "k", `[{"subAccountId": "*",`, 400, 1001, "not valid JSON"},
		{"text after the array", "POST", hooksPath, "k", good + `]`, 400, 1001, "more after its first value"},
		{"an object, not an array", "POST", hooksPath, "k", `{"subAccountId": "*", "url": "https://x.example.com"}`, 400, 1001, "array"},
		{"empty array", "POST", hooksPath, "k", `[]`, 400, 1001, "empty"},
		{"no subAccountId", "POST", hooksPath, "k", `[{"url": "https://hooks.example.com/8x8"}]`, 400, 1001, "[0].subAccountId is required"},
		{"no url", "POST", hooksPath, "k", `[{"subAccountId": "a"}]`, 400, 1001, "[0].url is required"},
		{"bad url", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "ftp://hooks.example.com"}]`, 400, 1001, "[0].url"},
		{"wrong type", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com", "enabled": "yes"}]`, 400, 1001, "enabled"},
		{"unknown field", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com", "type": "SMS"}]`, 400, 1001, "type"},
		{"both auths", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com", "httpAuthorization": "x",
			"oauth": {"url": "https://auth.example.com/t", "clientId": "c", "clientSecret": "s"}}]`, 400, 1001, "not both"},
		{"oauth without url", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com", "oauth": {"clientId": "c"}}]`, 400, 1001, "oauth.url"},
		{"oauth bad location", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com",
			"oauth": {"url": "https://auth.example.com/t", "clientId": "c", "credentialsLocation": "query"}}]`, 400, 1001, "header or body"},
		{"header injection", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com", "httpAuthorization": "x\r\nX-Evil: 1"}]`, 400, 1001, "line break"},
		{"subAccountId twice", "POST", hooksPath, "k", `[{"subAccountId": "a", "url": "https://h.example.com"}, {"subAccountId": "a", "url": "https://h.example.com/2"}]`, 400, 1001, "twice"},
		{"delete without subAccountId", "DELETE", hooksPath, "k", `[{}]`, 400, 1001, "subAccountId is required"},
		{"method", "PUT", hooksPath, "k", good, 405, 1001, "PUT"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		code, got := m.call(t, c.method, c.path, c.key, body)
		wantAPIError(t, c.name, code, got, c.status, c.code, c.says)
	}
	// Nothing a refused request sent was half-applied.
	if hooks := listHooks(t, m, "k"); len(hooks) != 1 || hooks[0].URL != "https://hooks.example.com/8x8" {
		t.Errorf("after the refused requests the webhooks are %+v, want the one configured before", hooks)
	}
	// A body over 1 MiB is refused, not read into memory.
	big := `[{"subAccountId": "a", "url": "https://h.example.com/` + strings.Repeat("a", 1<<20) + `"}]`
	code, got := m.call(t, "POST", hooksPath, "k", big)
	wantAPIError(t, "1 MiB body", code, got, 400, 1001, "larger than")
}

func TestConfigAPI_StorageFailureIsInternalError2000(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{}, nil)
	m.Store.Close() // every query now fails
	code, body := m.call(t, "GET", hooksPath, "", nil)
	wantAPIError(t, "GET with the store gone", code, body, 500, 2000, "Internal server error")
	if strings.Contains(string(body), "sql") {
		t.Errorf("the 500 answer leaks internals: %s", body)
	}
}
