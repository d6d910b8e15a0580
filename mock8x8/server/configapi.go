package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// accountIDPattern is 8x8's: 32 hex digits, dashes allowed between the UUID groups.
var accountIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}[-]?(?:[0-9A-Fa-f]{4}[-]?){3}[0-9A-Fa-f]{12}$`)

// maxBody bounds every request body the server reads.
const maxBody = 1 << 20

// 8x8's error codes for the configuration API.
const (
	codeBadRequest   = 1001
	codeUnauthorized = 1200
	codeInternal     = 2000
)

// apiError is the configuration API's error document, as 8x8 documents it.
type apiError struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	ErrorID   string `json:"errorId"`
	Timestamp string `json:"timestamp"`
}

// webhookDoc is one webhook as the configuration API reads and writes it.
type webhookDoc struct {
	SubAccountID      *string      `json:"subAccountId"`
	URL               *string      `json:"url"`
	HTTPAuthorization *string      `json:"httpAuthorization,omitempty"`
	Enabled           *bool        `json:"enabled,omitempty"`
	OAuth             *store.OAuth `json:"oauth,omitempty"`
}

// masked is what GET shows: every secret as "***".
const masked = "***"

func (s *Server) configError(w http.ResponseWriter, status, code int, format string, args ...any) {
	writeJSON(w, status, apiError{
		Code: code, Message: fmt.Sprintf(format, args...), ErrorID: uuid.NewString(),
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

// authorized checks "Authorization: Bearer <APIKey>" when an API key is configured.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.APIKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIKey)) == 1
}

// webhooks serves POST, GET and DELETE on /api/v1/accounts/{accountId}/webhooks.
func (s *Server) webhooks(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.configError(w, http.StatusUnauthorized, codeUnauthorized, "Request was not authenticated properly")
		return
	}
	account := r.PathValue("accountId")
	if !accountIDPattern.MatchString(account) {
		s.configError(w, http.StatusBadRequest, codeBadRequest,
			"accountId %q is not 32 hex digits (dashes allowed between groups), e.g. 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", account)
		return
	}
	// One account however it is written: dashes and case are only notation.
	account = strings.ToLower(strings.ReplaceAll(account, "-", ""))
	switch r.Method {
	case http.MethodGet:
		s.listWebhooks(w, r, account)
	case http.MethodPost:
		s.putWebhooks(w, r, account)
	case http.MethodDelete:
		s.deleteWebhooks(w, r, account)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		s.configError(w, http.StatusMethodNotAllowed, codeBadRequest, "method %s is not allowed; use GET, POST or DELETE", r.Method)
	}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, account string) {
	hooks, err := s.store.Webhooks(r.Context(), account)
	if err != nil {
		s.log.Error("listing webhooks failed", "error", err)
		s.configError(w, http.StatusInternalServerError, codeInternal, "Internal server error")
		return
	}
	writeJSON(w, http.StatusOK, maskAll(hooks))
}

// maskAll returns the webhooks as they may be shown: secrets as "***", and any password
// in a URL's userinfo redacted.
func maskAll(hooks []store.Webhook) []store.Webhook {
	out := make([]store.Webhook, len(hooks))
	for i, h := range hooks {
		h.URL = mock8x8.RedactURL(h.URL)
		if h.HTTPAuthorization != "" {
			h.HTTPAuthorization = masked
		}
		if h.OAuth != nil {
			o := *h.OAuth
			o.ClientSecret = masked
			o.URL = mock8x8.RedactURL(o.URL)
			h.OAuth = &o
		}
		out[i] = h
	}
	return out
}

func (s *Server) putWebhooks(w http.ResponseWriter, r *http.Request, account string) {
	var docs []webhookDoc
	if err := decodeBody(r, &docs); err != nil {
		s.configError(w, http.StatusBadRequest, codeBadRequest, "%v; send a JSON array such as [{\"subAccountId\":\"*\",\"url\":\"https://hooks.example.com/8x8\"}]", err)
		return
	}
	hooks := make([]store.Webhook, 0, len(docs))
	seen := map[string]bool{}
	for i, d := range docs {
		h, err := d.webhook(i)
		if err != nil {
			s.configError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
			return
		}
		if seen[h.SubAccountID] {
			s.configError(w, http.StatusBadRequest, codeBadRequest, "[%d].subAccountId %q appears twice; give each sub-account one webhook", i, h.SubAccountID)
			return
		}
		seen[h.SubAccountID] = true
		h.AccountID = account
		hooks = append(hooks, h)
	}
	if len(hooks) == 0 {
		s.configError(w, http.StatusBadRequest, codeBadRequest, "the array is empty; give at least one webhook")
		return
	}
	if err := s.store.PutWebhooks(r.Context(), account, hooks); err != nil {
		s.log.Error("storing webhooks failed", "error", err)
		s.configError(w, http.StatusInternalServerError, codeInternal, "Internal server error")
		return
	}
	s.log.Info("webhooks configured", "account", account, "count", len(hooks))
	s.listWebhooks(w, r, account)
}

// webhook validates the i-th element of a POST.
func (d webhookDoc) webhook(i int) (store.Webhook, error) {
	var h store.Webhook
	switch {
	case d.SubAccountID == nil || *d.SubAccountID == "":
		return h, fmt.Errorf("[%d].subAccountId is required (\"*\" for every sub-account)", i)
	case d.URL == nil || *d.URL == "":
		return h, fmt.Errorf("[%d].url is required", i)
	}
	if err := mock8x8.CheckURL(*d.URL); err != nil {
		return h, fmt.Errorf("[%d].url %q %v", i, mock8x8.RedactURL(*d.URL), err)
	}
	h.SubAccountID, h.URL, h.Enabled = *d.SubAccountID, *d.URL, true
	if d.Enabled != nil {
		h.Enabled = *d.Enabled
	}
	if d.HTTPAuthorization != nil {
		h.HTTPAuthorization = *d.HTTPAuthorization
		if strings.ContainsAny(h.HTTPAuthorization, "\r\n\x00") {
			return h, fmt.Errorf("[%d].httpAuthorization contains a line break or NUL; it is sent as a header", i)
		}
	}
	if o := d.OAuth; o != nil {
		switch {
		case h.HTTPAuthorization != "":
			return h, fmt.Errorf("[%d]: give httpAuthorization or oauth, not both", i)
		case o.URL == "":
			return h, fmt.Errorf("[%d].oauth.url (the token endpoint) is required", i)
		case o.ClientID == "":
			return h, fmt.Errorf("[%d].oauth.clientId is required", i)
		case o.CredentialsLocation != "" && o.CredentialsLocation != "header" && o.CredentialsLocation != "body":
			return h, fmt.Errorf("[%d].oauth.credentialsLocation %q must be header or body", i, o.CredentialsLocation)
		}
		if err := mock8x8.CheckURL(o.URL); err != nil {
			return h, fmt.Errorf("[%d].oauth.url %q %v", i, mock8x8.RedactURL(o.URL), err)
		}
		oc := *o
		if oc.CredentialsLocation == "" {
			oc.CredentialsLocation = "header"
		}
		h.OAuth = &oc
	}
	return h, nil
}

func (s *Server) deleteWebhooks(w http.ResponseWriter, r *http.Request, account string) {
	var docs []struct {
		SubAccountID *string `json:"subAccountId"`
	}
	if err := decodeBody(r, &docs); err != nil {
		s.configError(w, http.StatusBadRequest, codeBadRequest, "%v; send a JSON array such as [{\"subAccountId\":\"*\"}]", err)
		return
	}
	subs := make([]string, 0, len(docs))
	for i, d := range docs {
		if d.SubAccountID == nil || *d.SubAccountID == "" {
			s.configError(w, http.StatusBadRequest, codeBadRequest, "[%d].subAccountId is required (\"*\" is the global-scope webhook)", i)
			return
		}
		subs = append(subs, *d.SubAccountID)
	}
	if _, err := s.store.DeleteWebhooks(r.Context(), account, subs); err != nil {
		s.log.Error("deleting webhooks failed", "error", err)
		s.configError(w, http.StatusInternalServerError, codeInternal, "Internal server error")
		return
	}
	s.listWebhooks(w, r, account)
}

// decodeBody reads one JSON value of at most maxBody bytes into v, rejecting unknown
// fields and trailing data, with an error that names what is wrong.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the body: %v", err)
	}
	if len(body) > maxBody {
		return errTooLarge
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return fmt.Errorf("field %q must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
		case errors.As(err, &typeErr):
			return fmt.Errorf("the body must be %s, not %s", jsonKind(typeErr.Type), typeErr.Value)
		case errors.Is(err, io.EOF):
			return errors.New("the body is empty")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// The decoder's own words name the field; say what is wrong with it.
			return fmt.Errorf("field %s is not one this API takes (a misspelling?)", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return fmt.Errorf("the body is not valid JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	// Anything after the value, even a stray ] or }, means the body is not what was meant.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body is not valid JSON: there is more after its first value")
	}
	return nil
}

var errTooLarge = fmt.Errorf("the body is larger than %d bytes", maxBody)

// jsonKind names the JSON a Go type decodes from, with its article.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a JSON " + t.Kind().String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
