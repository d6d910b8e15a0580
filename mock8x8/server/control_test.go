package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

type accepted struct {
	EventIDs   []string `json:"eventIds"`
	Deliveries int      `json:"deliveries"`
	Seed       uint64   `json:"seed"`
}

func postClicks(t *testing.T, m *mock, key string, body any) accepted {
	t.Helper()
	code, got := m.call(t, "POST", "/v1/clicks", key, body)
	if code != 202 {
		t.Fatalf("POST /v1/clicks %v: %d %s", body, code, got)
	}
	var a accepted
	mustJSON(t, got, &a)
	return a
}

func getEvent(t *testing.T, m *mock, key, id string) store.EventView {
	t.Helper()
	code, body := m.call(t, "GET", "/v1/events/"+id, key, nil)
	if code != 200 {
		t.Fatalf("GET /v1/events/%s: %d %s", id, code, body)
	}
	var v store.EventView
	mustJSON(t, body, &v)
	return v
}

func TestControl_ClicksGoToEveryEnabledWebhookWithItsOwnCredentials(t *testing.T) {
	t.Parallel()
	var tokens atomic.Int32
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != "cid" || secret != "s3cret-client" ||
			r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "sms.webhooks" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokenEndpoint.Close()
	static, oauth, disabled := startReceiver(t, always(200)), startReceiver(t, always(200)), startReceiver(t, always(200))
	m := startMock(t, server.Config{APIKey: "k", UserAgent: "mock8x8-test/1"}, nil)
	code, body := m.call(t, "POST", hooksPath, "k", fmt.Sprintf(`[
		{"subAccountId": "*", "url": %q, "httpAuthorization": "Bearer s3cret-static"},
		{"subAccountId": "acme", "url": %q, "oauth": {"url": %q, "clientId": "cid", "clientSecret": "s3cret-client", "scope": "sms.webhooks"}},
		{"subAccountId": "off", "url": %q, "enabled": false}]`, static.URL, oauth.URL, tokenEndpoint.URL, disabled.URL))
	if code != 200 {
		t.Fatalf("configuring webhooks: %d %s", code, body)
	}
	a := postClicks(t, m, "k", map[string]any{"count": 5, "seed": 42})
	if len(a.EventIDs) != 5 || a.Deliveries != 10 || a.Seed != 42 {
		t.Fatalf("POST /v1/clicks answered %+v, want 5 eventIds, 10 deliveries (2 enabled webhooks), seed 42", a)
	}
	m.waitStats(t, "k", "5 events delivered to both webhooks", func(s store.Stats) bool {
		return s.Delivered == 5 && s.Deliveries.Delivered == 10
	})
	for name, rc := range map[string]*receiver{"static": static, "oauth": oauth} {
		ds := rc.deliveries()
		if len(ds) != 5 {
			t.Errorf("%s webhook got %d requests, want 5", name, len(ds))
		}
		want := map[string]string{"static": "Bearer s3cret-static", "oauth": "Bearer tok-123"}[name]
		for _, d := range ds {
			if d.Auth != want || d.UserAgent != "mock8x8-test/1" || d.ContentType != "application/json" {
				t.Errorf("%s webhook got Authorization %q, User-Agent %q, Content-Type %q; want %q, mock8x8-test/1, application/json",
					name, d.Auth, d.UserAgent, d.ContentType, want)
			}
			dec, err := mock8x8.Decode([]byte(d.Body))
			if err != nil {
				t.Errorf("%s webhook got an invalid click: %v\n%s", name, err, d.Body)
			} else if dec.Click.OccurredAt.After(d.At) {
				t.Errorf("%s webhook got at %s a click that occurs at %s: 8x8 sends clicks that have happened", name, d.At, dec.Click.OccurredAt)
			}
		}
	}
	if n := len(disabled.deliveries()); n != 0 {
		t.Errorf("the disabled webhook got %d requests, want none", n)
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("the token endpoint was asked %d times for 5 clicks, want once: the token is cached until it expires", n)
	}
	// The same seed gives the same clicks: a fresh server repeats them.
	m2 := startMock(t, server.Config{}, nil)
	b := postClicks(t, m2, "", map[string]any{"count": 5, "seed": 42, "to": static.URL})
	if fmt.Sprint(b.EventIDs) != fmt.Sprint(a.EventIDs) {
		t.Errorf("seed 42 gave %v, then %v: the same seed must give the same clicks", a.EventIDs, b.EventIDs)
	}
	for _, secret := range []string{"s3cret", "tok-123", "Bearer k"} {
		if strings.Contains(m.log.String(), secret) {
			t.Errorf("the server's log shows the secret %q:\n%s", secret, m.log.String())
		}
		_, body := m.call(t, "GET", "/v1/events/"+a.EventIDs[0], "k", nil)
		if strings.Contains(string(body), secret) {
			t.Errorf("GET /v1/events/{id} shows the secret %q: %s", secret, body)
		}
	}
}

func TestControl_FailedAttemptsAreRetriedOnTheScaledSchedule(t *testing.T) {
	t.Parallel()
	// 503 twice, then 200: attempts at 0, +10 ms, +100 ms (1/100 of 8x8's 1 and 10 s).
	rc := startReceiver(t, func(_ string, n int) int { return map[bool]int{true: 503, false: 200}[n <= 2] })
	m := startMock(t, server.Config{}, nil)
	a := postClicks(t, m, "", map[string]any{"count": 1, "to": rc.URL, "auth": "Basic dXNlcjpwYXNz"})
	m.waitStats(t, "", "the click delivered", func(s store.Stats) bool { return s.Delivered == 1 })
	v := getEvent(t, m, "", a.EventIDs[0])
	if v.Result != "delivered" || len(v.Deliveries) != 1 {
		t.Fatalf("event %+v, want delivered through one delivery", v)
	}
	d := v.Deliveries[0]
	if len(d.Attempts) != 3 || d.NextAttemptAt != nil {
		t.Fatalf("delivery %+v, want 3 attempts and no next attempt", d)
	}
	for i, want := range []struct {
		status int
		result mock8x8.Result
		gap    time.Duration
	}{{503, mock8x8.Retry, 0}, {503, mock8x8.Retry, 10 * time.Millisecond}, {200, mock8x8.Delivered, 100 * time.Millisecond}} {
		at := d.Attempts[i]
		if at.Attempt != i+1 || at.Status != want.status || at.Result != want.result {
			t.Errorf("attempt %d: #%d status %d result %s, want #%d %d %s", i+1, at.Attempt, at.Status, at.Result, i+1, want.status, want.result)
		}
		if i > 0 {
			// Exact up to the wall clock's drift from the monotonic one the engine waits on.
			if gap := at.ScheduledAt.Sub(d.Attempts[i-1].FinishedAt); gap < want.gap-time.Microsecond || gap > want.gap+time.Microsecond {
				t.Errorf("attempt %d due %v after attempt %d ended, want %v", i+1, gap, i, want.gap)
			}
			if late := at.StartedAt.Sub(at.ScheduledAt); late < 0 || late > 500*time.Millisecond {
				t.Errorf("attempt %d started %v after its due time, want within 500ms", i+1, late)
			}
		}
	}
	for _, got := range rc.deliveries() {
		if got.Auth != "Basic dXNlcjpwYXNz" {
			t.Errorf("attempt sent Authorization %q, want the \"auth\" given with \"to\"", got.Auth)
		}
	}
	// The list filters by result.
	code, body := m.call(t, "GET", "/v1/events?result=delivered&limit=5", "", nil)
	var list struct {
		Events []store.EventView `json:"events"`
	}
	mustJSON(t, body, &list)
	if code != 200 || len(list.Events) != 1 || list.Events[0].EventID != a.EventIDs[0] || len(list.Events[0].Deliveries[0].Attempts) != 3 {
		t.Errorf("GET /v1/events?result=delivered: %d %s, want the one event with its 3 attempts", code, body)
	}
	if _, body := m.call(t, "GET", "/v1/events?result=pending", "", nil); !strings.Contains(string(body), `"events": []`) {
		t.Errorf("GET /v1/events?result=pending: %s, want no events", body)
	}
}

func TestControl_PendingEventShowsItsNextAttemptAndExhaustsAfterFive(t *testing.T) {
	t.Parallel()
	rc := startReceiver(t, always(500))
	m := startMock(t, server.Config{Schedule: mock8x8.DefaultSchedule().Scaled(0.05)}, nil) // 50 ms ... 4.5 s
	a := postClicks(t, m, "", map[string]any{"count": 1, "to": rc.URL})
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.deliveries()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	v := getEvent(t, m, "", a.EventIDs[0])
	d := v.Deliveries[0]
	if v.Result != "pending" || d.NextAttemptAt == nil || d.NextAttempt < 2 {
		t.Fatalf("event mid-schedule: %+v, want pending with a next attempt and its time", v)
	}
	last := d.Attempts[len(d.Attempts)-1]
	if !d.NextAttemptAt.Equal(last.NextAttemptAt) || last.Result != mock8x8.Retry {
		t.Errorf("nextAttemptAt %v, want the last attempt's %v", d.NextAttemptAt, last.NextAttemptAt)
	}
	if len(v.Event) == 0 || !json.Valid(v.Event) {
		t.Errorf("GET /v1/events/{id} has no event JSON: %s", v.Event)
	}
	s := m.waitStats(t, "", "the event exhausted", func(s store.Stats) bool { return s.Exhausted == 1 })
	if s.Attempts != 5 || len(rc.deliveries()) != 5 {
		t.Errorf("%d attempts stored, %d received; want 5 and 5 (8x8 makes at most 5)", s.Attempts, len(rc.deliveries()))
	}
}

func TestControl_EventsAreDeliveredVerbatim(t *testing.T) {
	t.Parallel()
	rc := startReceiver(t, always(204))
	m := startMock(t, server.Config{}, nil)
	one := `{"namespace":"SMS","eventType":"short_url_clicked","description":"Short URL from SMS clicked","payload":{"eventId":"11111111-2222-4333-8444-555555555555","occurredAt":"2025-10-03T12:00:00.250+00:00","umid":"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a","destination":"+6591234567","shortUrl":"https://2g.to/abc123/abc","targetUrl":"https://example.com/landing?c=x","extra":true}}`
	code, body := m.call(t, "POST", "/v1/events?to="+rc.URL, "", one)
	if code != 202 || !strings.Contains(string(body), "11111111-2222-4333-8444-555555555555") {
		t.Fatalf("POST /v1/events (one event): %d %s", code, body)
	}
	arr := `[{"eventType":"x","payload":{"eventId":"a-1"}}, {"eventType":"x","payload":{"eventId":"a-2"}}]`
	if code, body := m.call(t, "POST", "/v1/events?to="+rc.URL, "", arr); code != 202 || !strings.Contains(string(body), `"a-2"`) {
		t.Fatalf("POST /v1/events (array): %d %s", code, body)
	}
	m.waitStats(t, "", "3 events delivered", func(s store.Stats) bool { return s.Delivered == 3 })
	bodies := map[string]string{}
	for _, d := range rc.deliveries() {
		bodies[d.EventID] = d.Body
	}
	if bodies["11111111-2222-4333-8444-555555555555"] != one {
		t.Errorf("the receiver got\n%s\nwant the event byte for byte:\n%s", bodies["11111111-2222-4333-8444-555555555555"], one)
	}
	if bodies["a-1"] != `{"eventType":"x","payload":{"eventId":"a-1"}}` {
		t.Errorf("array element sent as %q, want it verbatim", bodies["a-1"])
	}
	// An eventId is delivered once; sending it again is refused, whole request and all.
	code, body = m.call(t, "POST", "/v1/events?to="+rc.URL, "", `[{"payload":{"eventId":"new-1"}}, {"payload":{"eventId":"a-1"}}]`)
	if code != 409 || !strings.Contains(string(body), "a-1") {
		t.Errorf("re-sending eventId a-1: %d %s, want 409 naming it", code, body)
	}
	if s := m.stats(t, ""); s.Events != 3 {
		t.Errorf("after the refused request %d events are stored, want 3: nothing half-created", s.Events)
	}
	// Inbound messages and receipts have no eventId: the server names each one.
	gen := mock8x8.NewGenerator(5, time.Now())
	inbound := gen.NextInbound().Event().Body
	code, body = m.call(t, "POST", "/v1/events?to="+rc.URL, "", "["+inbound+","+inbound+"]")
	var a accepted
	mustJSON(t, body, &a)
	if code != 202 || len(a.EventIDs) != 2 || a.EventIDs[0] == a.EventIDs[1] {
		t.Fatalf("POST of two inbound messages: %d %s, want 202 with two ids of the server's", code, body)
	}
	m.waitStats(t, "", "5 events delivered", func(s store.Stats) bool { return s.Delivered == 5 })
	var compact bytes.Buffer
	v := getEvent(t, m, "", a.EventIDs[1])
	if err := json.Compact(&compact, v.Event); err != nil || v.Type != mock8x8.EventTypeInbound || compact.String() != inbound {
		t.Errorf("GET of an inbound message by the server's id: type %q, event %s; want it verbatim", v.Type, v.Event)
	}
}

func TestControl_BadInputIsRefusedWithTheFieldAndNothingIsCreated(t *testing.T) {
	t.Parallel()
	rc := startReceiver(t, always(200))
	m := startMock(t, server.Config{}, nil)
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		field, says              string
	}{
		{"malformed JSON", "POST", "/v1/clicks", `{"count": 2`, 400, "", "not valid JSON"},
		{"negative count", "POST", "/v1/clicks", `{"count": -1, "to": "` + rc.URL + `"}`, 400, "count", "count -1"},
		{"zero count", "POST", "/v1/clicks", `{"count": 0, "to": "` + rc.URL + `"}`, 400, "count", "1 to"},
		{"huge count", "POST", "/v1/clicks", `{"count": 10000000, "to": "` + rc.URL + `"}`, 400, "count", "/v1/stream"},
		{"count as string", "POST", "/v1/clicks", `{"count": "3"}`, 400, "count", "number"},
		{"invalid URL", "POST", "/v1/clicks", `{"count": 1, "to": "ftp://x"}`, 400, "to", "ftp://x"},
		{"relative URL", "POST", "/v1/clicks", `{"count": 1, "to": "/webhooks"}`, 400, "to", ""},
		{"auth without to", "POST", "/v1/clicks", `{"count": 1, "auth": "Bearer x"}`, 400, "auth", "only with"},
		{"unknown field", "POST", "/v1/clicks", `{"count": 1, "cuont": 2}`, 400, "cuont", "not one this API takes"},
		{"text after the body", "POST", "/v1/clicks", `{"count": 1, "to": "` + rc.URL + `"}}`, 400, "", "more after its first value"},
		{"count with a fraction", "POST", "/v1/clicks", `{"count": 1.5, "to": "` + rc.URL + `"}`, 400, "count", "a whole number, not number 1.5"},
		{"no webhook and no to", "POST", "/v1/clicks", `{"count": 1}`, 409, "to", "no enabled webhook"},
		{"body over 1 MiB", "POST", "/v1/clicks", `{"to": "` + strings.Repeat("x", 1<<20) + `"}`, 413, "", "larger than"},
		{"events not JSON", "POST", "/v1/events?to=" + rc.URL, `not json`, 400, "", ""},
		{"events with an eventId twice", "POST", "/v1/events?to=" + rc.URL, `[{"payload":{"eventId":"d"}},{"payload":{"eventId":"d"}}]`, 400, "[1].payload.eventId", "twice"},
		{"events over 1 MiB", "POST", "/v1/events?to=" + rc.URL, `[` + strings.Repeat(`{"payload":{"eventId":"x"}},`, 40000) + `{}]`, 413, "", "larger than"},
		{"events to a bad URL", "POST", "/v1/events?to=mailto:x", `{"payload":{"eventId":"e"}}`, 400, "to", ""},
		{"stream without rate", "POST", "/v1/stream", `{"to": "` + rc.URL + `"}`, 400, "rate", "rate"},
		{"stream negative rate", "POST", "/v1/stream", `{"rate": -5, "to": "` + rc.URL + `"}`, 400, "rate", "more than 0"},
		{"stream unknown profile", "POST", "/v1/stream", `{"rate": 5, "profile": "spiky", "to": "` + rc.URL + `"}`, 400, "profile", "constant or campaign"},
		{"stream bad half-life", "POST", "/v1/stream", `{"rate": 5, "profile": "campaign", "halfLife": "soon", "to": "` + rc.URL + `"}`, 400, "halfLife", "5m"},
		{"stop without a stream", "DELETE", "/v1/stream", ``, 404, "", "no click stream"},
		{"list with a bad result", "GET", "/v1/events?result=lost", ``, 400, "result", "pending, delivered"},
		{"list with a bad limit", "GET", "/v1/events?limit=-3", ``, 400, "limit", "1 to 1000"},
		{"unknown event", "GET", "/v1/events/no-such-event", ``, 404, "eventId", "no-such-event"},
		{"unknown call", "POST", "/v1/click", `{"count": 1}`, 404, "", "POST /v1/click is not a control API call"},
		{"wrong method", "PUT", "/v1/stats", ``, 404, "", "there are POST /v1/clicks"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		code, got := m.call(t, c.method, c.path, "", body)
		var e struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if code != c.status || json.Unmarshal(got, &e) != nil || e.Field != c.field || e.Error == "" || !strings.Contains(e.Error, c.says) {
			t.Errorf("%s: %d %.300s\nwant %d with field %q and an error saying %q", c.name, code, got, c.status, c.field, c.says)
		}
	}
	time.Sleep(50 * time.Millisecond) // anything wrongly queued would have been sent by now
	if s := m.stats(t, ""); s.Events != 0 || s.Attempts != 0 || len(rc.deliveries()) != 0 {
		t.Errorf("after refused requests: stats %+v and %d requests sent, want nothing created or sent", s, len(rc.deliveries()))
	}
}

func TestControl_APIKeyGuardsTheControlAPI(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{APIKey: "k"}, nil)
	for _, c := range []struct{ method, path, key string }{
		{"GET", "/v1/stats", ""}, {"GET", "/v1/stats", "wrong"}, {"POST", "/v1/clicks", ""},
		{"GET", "/v1/events", ""}, {"POST", "/v1/stream", "k2"}, {"DELETE", "/v1/stream", ""},
	} {
		if code, body := m.call(t, c.method, c.path, c.key, `{}`); code != 401 || !strings.Contains(string(body), "API key") {
			t.Errorf("%s %s with key %q: %d %s, want 401 asking for the API key", c.method, c.path, c.key, code, body)
		}
	}
	if code, _ := m.call(t, "GET", "/v1/stats", "k", nil); code != 200 {
		t.Errorf("GET /v1/stats with the key: %d, want 200", code)
	}
}

func TestControl_StreamSendsClicksUntilStopped(t *testing.T) {
	t.Parallel()
	rc := startReceiver(t, always(200))
	m := startMock(t, server.Config{}, nil)
	code, body := m.call(t, "POST", "/v1/stream", "", map[string]any{"rate": 100, "to": rc.URL, "seed": 7})
	if code != 202 || !strings.Contains(string(body), `"constant 100/s"`) {
		t.Fatalf("POST /v1/stream: %d %s, want 202 describing a constant 100/s stream", code, body)
	}
	m.waitStats(t, "", "at least 20 streamed clicks delivered", func(s store.Stats) bool { return s.Delivered >= 20 })
	code, body = m.call(t, "GET", "/v1/stream", "", nil)
	var running struct {
		Profile string `json:"profile"`
		Sent    int64  `json:"sent"`
		Running bool   `json:"running"`
		Seed    uint64 `json:"seed"`
	}
	mustJSON(t, body, &running)
	if code != 200 || !running.Running || running.Sent < 20 || running.Seed != 7 || running.Profile != "constant 100/s" {
		t.Errorf("GET /v1/stream: %d %s, want the running constant 100/s stream, seed 7, at least 20 sent", code, body)
	}
	code, body = m.call(t, "DELETE", "/v1/stream", "", nil)
	if code != 200 {
		t.Fatalf("DELETE /v1/stream: %d %s", code, body)
	}
	var stopped struct {
		Sent int64 `json:"sent"`
	}
	mustJSON(t, body, &stopped)
	s := m.waitStats(t, "", "every streamed click settled", func(s store.Stats) bool { return s.Pending == 0 })
	if s.Events != stopped.Sent || stopped.Sent < 20 {
		t.Errorf("the stream says it sent %d, the stats count %d events; want the same, at least 20", stopped.Sent, s.Events)
	}
	if code, _ := m.call(t, "GET", "/v1/stream", "", nil); code != 404 {
		t.Errorf("GET /v1/stream after DELETE: %d, want 404", code)
	}
	time.Sleep(250 * time.Millisecond)
	if after := m.stats(t, ""); after.Events != s.Events {
		t.Errorf("%d events after the stream stopped, %d before: it kept going", after.Events, s.Events)
	}
	for _, d := range rc.deliveries() {
		dec, err := mock8x8.Decode([]byte(d.Body))
		if err != nil {
			t.Fatalf("a streamed click is invalid: %v\n%s", err, d.Body)
		}
		// Streamed clicks happen as they are sent: within the second before.
		if at := dec.Click.OccurredAt; at.After(d.At) || d.At.Sub(at) > 2*time.Second {
			t.Errorf("a click sent at %s occurred at %s, want within the second before", d.At, at)
			break
		}
	}
}
