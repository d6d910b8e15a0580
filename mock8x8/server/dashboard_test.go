package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// otherAccount is a second valid accountId, written with dashes.
const otherAccount = "f9e8d7c6-b5a4-9382-7160-5f4e3d2c1b0a"

// dashAnswer is one HTTP answer as a browser would see it.
type dashAnswer struct {
	Status int
	Header http.Header
	Body   string
	Cookie []*http.Cookie
}

// dashDo makes one request without following redirects, with the headers and cookies given.
func dashDo(t *testing.T, method, rawURL, body string, header http.Header, cookies ...*http.Cookie) dashAnswer {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, rawURL, err)
	}
	return dashAnswer{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Cookie: resp.Cookies()}
}

func dashGet(t *testing.T, rawURL string, cookies ...*http.Cookie) dashAnswer {
	t.Helper()
	return dashDo(t, "GET", rawURL, "", nil, cookies...)
}

// dashLogin posts the sign-in form with key.
func dashLogin(t *testing.T, base, key string, header http.Header) dashAnswer {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, vs := range header {
		h[k] = vs
	}
	return dashDo(t, "POST", base+"/login", url.Values{"key": {key}}.Encode(), h)
}

// The page as a tree, and the few queries the tests need.

func dashParse(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("the page is not HTML: %v", err)
	}
	return doc
}

func dashAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
		out = append(out, dashAll(c, match)...)
	}
	return out
}

func dashAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func dashClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := dashAttr(n, "class")
		return strings.Contains(" "+v+" ", " "+class+" ")
	}
}

func dashTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func dashByID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	found := dashAll(doc, func(n *html.Node) bool { v, _ := dashAttr(n, "id"); return v == id })
	if len(found) != 1 {
		t.Fatalf("the page has %d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

// dashText is the element's text with runs of white space made one space.
func dashText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// dashEventRows are the events table's rows by eventId, in page order.
func dashEventRows(t *testing.T, doc *html.Node) (ids []string, rows map[string]*html.Node) {
	t.Helper()
	rows = map[string]*html.Node{}
	for _, tr := range dashAll(dashByID(t, doc, "events-body"), dashTag("tr")) {
		if id, ok := dashAttr(tr, "data-event-id"); ok {
			ids = append(ids, id)
			rows[id] = tr
		}
	}
	return ids, rows
}

// dashTimeline is an event row's attempts, each as "#n code latency result".
func dashTimeline(tr *html.Node) []string {
	var out []string
	for _, li := range dashAll(tr, dashClass("att")) {
		out = append(out, dashText(li))
	}
	return out
}

func TestDashboard_PageShowsCountersEventsWithAttemptsAndMaskedWebhooks(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{}, nil)
	ctx := context.Background()
	if err := m.Store.PutWebhooks(ctx, account, []store.Webhook{{SubAccountID: "*", URL: "http://127.0.0.1:9/hooks/a", HTTPAuthorization: "Bearer hook-secret-A", Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Store.PutWebhooks(ctx, otherAccount, []store.Webhook{{SubAccountID: "sub-1", URL: "http://127.0.0.1:9/hooks/b",
		OAuth: &store.OAuth{URL: "http://127.0.0.1:9/token", ClientID: "client-b", ClientSecret: "oauth-secret-B"}}}); err != nil {
		t.Fatal(err)
	}
	// Written to the store directly, so the server sends none of them: only shows them.
	target := store.Target{URL: "http://127.0.0.1:9/recv", Authorization: "Bearer target-secret-C"}
	gen := mock8x8.NewGenerator(1, time.Now())
	ev := []mock8x8.Event{gen.Next(), gen.Next(), gen.Next(), gen.Next(),
		{ID: `<img src=x onerror=alert(1)>`, Type: `<b>bold</b>`, Body: `{"payload":{"eventId":"<img src=x onerror=alert(1)>"}}`}}
	t0 := time.Now().UTC()
	if _, err := m.Store.AddEvents(ctx, ev, []store.Target{target}, t0); err != nil {
		t.Fatal(err)
	}
	at := func(id string, n, status int, class mock8x8.ErrorClass, took time.Duration, res mock8x8.Result, next time.Time) {
		t.Helper()
		start := t0.Add(time.Duration(n) * time.Second)
		a := mock8x8.Attempt{EventID: id, Attempt: n, ScheduledAt: start, StartedAt: start, FinishedAt: start.Add(took),
			Status: status, Error: class, Result: res, NextAttemptAt: next, Message: "attempt message"}
		if err := m.Store.RecordAttempt(ctx, target.Key(), a); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(90 * time.Minute)
	at(ev[0].ID, 1, 503, "", 12*time.Millisecond, mock8x8.Retry, t0.Add(2*time.Second))
	at(ev[0].ID, 2, 200, "", 3500*time.Microsecond, mock8x8.Delivered, time.Time{})
	at(ev[1].ID, 1, 0, mock8x8.ErrTimeout, 5*time.Second, mock8x8.Exhausted, time.Time{})
	at(ev[2].ID, 1, 302, "", 800*time.Microsecond, mock8x8.Rejected, time.Time{})
	at(ev[3].ID, 1, 500, "", 40*time.Millisecond, mock8x8.Retry, later)

	page := dashGet(t, m.URL+"/")
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %q, want 200 text/html\n%.500s", page.Status, page.Header.Get("Content-Type"), page.Body)
	}
	doc := dashParse(t, page.Body)

	for id, want := range map[string]string{"stat-events": "5", "stat-delivered": "1", "stat-exhausted": "1",
		"stat-rejected": "1", "stat-pending": "2", "stat-attempts": "5"} {
		if got := dashText(dashByID(t, doc, id)); got != want {
			t.Errorf("counter %s reads %q, want %q", id, got, want)
		}
	}
	if acc := dashByID(t, doc, "accounting"); !dashClass("ok")(acc) || !strings.Contains(dashText(acc), "events = delivered + exhausted + rejected + pending") {
		t.Errorf("accounting line %q, want it to say the invariant holds", dashText(acc))
	}

	ids, rows := dashEventRows(t, doc)
	want := []string{ev[4].ID, ev[3].ID, ev[2].ID, ev[1].ID, ev[0].ID}
	if strings.Join(ids, "|") != strings.Join(want, "|") {
		t.Fatalf("event rows %q, want the newest first %q", ids, want)
	}
	for _, c := range []struct {
		id, result string
		timeline   []string
	}{
		{ev[0].ID, "delivered", []string{"#1 503 12 ms retry", "#2 200 3.5 ms delivered"}},
		{ev[1].ID, "exhausted", []string{"#1 timeout 5.00 s exhausted"}},
		{ev[2].ID, "rejected", []string{"#1 302 0.8 ms rejected"}},
		{ev[3].ID, "pending", []string{"#1 500 40 ms retry"}},
		{ev[4].ID, "pending", nil},
	} {
		tr := rows[c.id]
		badge := dashAll(tr, dashClass("badge"))
		if len(badge) != 1 || dashText(badge[0]) != c.result || !dashClass("r-"+c.result)(badge[0]) {
			t.Errorf("event %s: result badge %v, want one reading %q in class r-%s", c.id, badge, c.result, c.result)
		}
		if got := dashTimeline(tr); strings.Join(got, "|") != strings.Join(c.timeline, "|") {
			t.Errorf("event %s: attempts %q, want %q", c.id, got, c.timeline)
		}
		if !strings.Contains(dashText(tr), "http://127.0.0.1:9/recv") {
			t.Errorf("event %s: row %q does not name the target it went to", c.id, dashText(tr))
		}
	}
	next := dashAll(rows[ev[3].ID], dashClass("next"))
	if len(next) != 1 || !regexp.MustCompile(`^attempt #2 in 1h (29|30)m$`).MatchString(dashText(next[0])) {
		t.Fatalf("pending event: next-attempt items %d (%q), want one counting down to attempt #2 in 1h 30m", len(next), dashTextAll(next))
	}
	if at, _ := dashAttr(next[0], "data-next-at"); !dashSameTime(at, later) {
		t.Errorf("countdown data-next-at %q, want %s for the script to tick", at, later.UTC().Format(time.RFC3339Nano))
	}
	if got := dashText(dashAll(rows[ev[4].ID], dashTag("td"))[1]); got != "<b>bold</b>" {
		t.Errorf("an event type with markup shows as %q, want the text <b>bold</b>", got)
	}
	if strings.Contains(page.Body, "<img src=x") || strings.Contains(page.Body, "<b>bold") {
		t.Errorf("markup from an event reached the page unescaped")
	}

	var hooks []string
	for _, tr := range dashAll(dashByID(t, doc, "hooks-body"), dashTag("tr")) {
		hooks = append(hooks, strings.Join(dashTextAll(dashAll(tr, dashTag("td"))), " "))
	}
	wantHooks := []string{
		account + " * http://127.0.0.1:9/hooks/a enabled Authorization ***",
		otherAccount + " sub-1 http://127.0.0.1:9/hooks/b disabled OAuth client client-b, secret ***",
	}
	if strings.Join(hooks, "|") != strings.Join(wantHooks, "|") {
		t.Errorf("webhooks table rows\n%q\nwant every account's, secrets masked\n%q", hooks, wantHooks)
	}
	for _, secret := range []string{"hook-secret-A", "oauth-secret-B", "target-secret-C"} {
		if strings.Contains(page.Body, secret) {
			t.Errorf("the page contains the secret %q", secret)
		}
	}
	if !strings.Contains(page.Body, "× 0.01") {
		t.Errorf("the page does not show the retry schedule's time scale 0.01")
	}
}

func dashTextAll(ns []*html.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, dashText(n))
	}
	return out
}

func dashSameTime(s string, want time.Time) bool {
	got, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && got.Equal(want.Truncate(time.Nanosecond))
}

func TestDashboard_EmptyStateSaysWhatToDo(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{}, nil)
	doc := dashParse(t, dashGet(t, m.URL+"/").Body)
	if got := dashText(dashByID(t, doc, "events-body")); !strings.Contains(got, "Send clicks with the form") {
		t.Errorf("events table without events reads %q, want it to point at the form", got)
	}
	if got := dashText(dashByID(t, doc, "hooks-body")); !strings.Contains(got, "POST /api/v1/accounts/{accountId}/webhooks") {
		t.Errorf("webhooks table without webhooks reads %q, want it to say how to register one", got)
	}
	if got := dashText(dashByID(t, doc, "stat-events")); got != "0" {
		t.Errorf("events counter %q, want 0", got)
	}
	if a := dashGet(t, m.URL+"/no-such-page"); a.Status != 404 {
		t.Errorf("GET /no-such-page: %d, want 404 (only / is the dashboard)", a.Status)
	}
}

func TestDashboard_AssetsAreEmbeddedAndServedWithTheirTypes(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{}, nil)
	page := dashGet(t, m.URL+"/")
	csp := page.Header.Get("Content-Security-Policy")
	for _, d := range []string{"script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("page Content-Security-Policy %q lacks %q", csp, d)
		}
	}
	doc := dashParse(t, page.Body)
	wantType := map[string]string{
		"/assets/dashboard.css": "text/css; charset=utf-8",
		"/assets/dashboard.js":  "text/javascript; charset=utf-8",
		"/assets/favicon.svg":   "image/svg+xml",
	}
	seen := map[string]bool{}
	for _, n := range dashAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
				t.Errorf("<%s> has a %s attribute: the page's policy allows no inline script or style", n.Data, a.Key)
			}
			if a.Key != "src" && !(a.Key == "href" && n.Data == "link") {
				continue
			}
			if _, ok := wantType[a.Val]; !ok {
				t.Errorf("<%s %s=%q>: want every asset embedded and served under /assets/", n.Data, a.Key, a.Val)
			}
			seen[a.Val] = true
		}
		if n.Data == "script" && dashText(n) != "" || n.Data == "style" {
			t.Errorf("the page has an inline <%s>", n.Data)
		}
	}
	for path, ct := range wantType {
		if !seen[path] {
			t.Errorf("the page does not load %s", path)
		}
		a := dashGet(t, m.URL+path)
		if a.Status != 200 || a.Header.Get("Content-Type") != ct || len(a.Body) < 100 || a.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d %q nosniff=%q, %d bytes; want 200 %q, nosniff", path, a.Status, a.Header.Get("Content-Type"), a.Header.Get("X-Content-Type-Options"), len(a.Body), ct)
		}
		if strings.HasSuffix(path, ".svg") {
			continue // its xmlns is a name, not a download
		}
		if strings.Contains(a.Body, "http://") || strings.Contains(a.Body, "https://") || strings.Contains(a.Body, "@import") {
			t.Errorf("%s refers to another site: every asset must come from this server", path)
		}
		etag := a.Header.Get("ETag")
		if again := dashDo(t, "GET", m.URL+path, "", http.Header{"If-None-Match": {etag}}); etag == "" || again.Status != 304 {
			t.Errorf("GET %s with If-None-Match %q: %d, want 304", path, etag, again.Status)
		}
	}
	for _, path := range []string{"/assets/dashboard.html", "/assets/login.html", "/assets/nope.js", "/assets/"} {
		if a := dashGet(t, m.URL+path); a.Status != 404 {
			t.Errorf("GET %s: %d, want 404 (only the assets are served)", path, a.Status)
		}
	}
}

func TestDashboard_SignInWithTheAPIKeyGivesASessionForTheControlAPIOnly(t *testing.T) {
	t.Parallel()
	const key = "dash-api-key-Zq9x"
	rc := startReceiver(t, always(200))
	m := startMock(t, server.Config{APIKey: key}, nil)

	// Signed out: the sign-in form, and the API refuses.
	out := dashGet(t, m.URL+"/")
	doc := dashParse(t, out.Body)
	form := dashByID(t, doc, "login-form")
	if action, _ := dashAttr(form, "action"); out.Status != 200 || action != "/login" || len(dashAll(doc, func(n *html.Node) bool { v, _ := dashAttr(n, "id"); return v == "stat-events" })) != 0 {
		t.Fatalf("GET / signed out: %d, form action %q; want 200 with the sign-in form posting /login and no dashboard", out.Status, action)
	}
	input := dashByID(t, doc, "key")
	if typ, _ := dashAttr(input, "type"); typ != "password" || len(dashAll(doc, func(n *html.Node) bool { v, _ := dashAttr(n, "for"); return v == "key" })) != 1 {
		t.Errorf("the key field is type %q, want a labelled password field", typ)
	}
	if a := dashGet(t, m.URL+"/v1/stats"); a.Status != 401 {
		t.Errorf("GET /v1/stats without a key: %d, want 401", a.Status)
	}

	// A wrong key: 401, the form again with why, and no cookie.
	wrong := dashLogin(t, m.URL, "not-the-key", nil)
	if wrong.Status != 401 || len(wrong.Cookie) != 0 || !strings.Contains(wrong.Body, "not this server&#39;s API key") {
		t.Errorf("POST /login with a wrong key: %d, cookies %v; want 401 saying the key is wrong, no cookie\n%.400s", wrong.Status, wrong.Cookie, wrong.Body)
	}
	if strings.Contains(wrong.Body, "not-the-key") {
		t.Errorf("the sign-in page repeats the key that was typed")
	}

	// The right key: an HttpOnly, SameSite=Strict session cookie and a redirect to /.
	ok := dashLogin(t, m.URL, key, nil)
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/" || len(ok.Cookie) != 1 {
		t.Fatalf("POST /login with the key: %d to %q with %d cookies, want 303 to / with one cookie", ok.Status, ok.Header.Get("Location"), len(ok.Cookie))
	}
	session := ok.Cookie[0]
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Value == "" || strings.Contains(session.Value, key) {
		t.Errorf("session cookie %s: want HttpOnly, SameSite=Strict, Path=/, a value that is not the key", session.String())
	}

	// With the cookie: the dashboard and the control API.
	if a := dashGet(t, m.URL+"/", session); a.Status != 200 || !strings.Contains(a.Body, `id="stat-events"`) || !strings.Contains(a.Body, `action="/logout"`) {
		t.Errorf("GET / with the session: %d, want 200 with the dashboard and a sign-out", a.Status)
	}
	for _, path := range []string{"/v1/stats", "/v1/events", "/v1/webhooks"} {
		if a := dashGet(t, m.URL+path, session); a.Status != 200 {
			t.Errorf("GET %s with the session cookie: %d %.200s, want 200", path, a.Status, a.Body)
		}
	}
	jsonType := http.Header{"Content-Type": {"application/json"}}
	if a := dashDo(t, "POST", m.URL+"/v1/clicks", `{"count":2,"to":"`+rc.URL+`"}`, jsonType, session); a.Status != 202 {
		t.Fatalf("POST /v1/clicks with the session cookie: %d %s, want 202", a.Status, a.Body)
	}
	m.waitStats(t, key, "2 events delivered", func(s store.Stats) bool { return s.Delivered == 2 })

	// The 8x8 configuration API takes the Bearer key only.
	if a := dashGet(t, m.URL+hooksPath, session); a.Status != 401 || !strings.Contains(a.Body, `"code": 1200`) {
		t.Errorf("GET %s with only the session cookie: %d %s, want 401 code 1200 (Bearer only)", hooksPath, a.Status, a.Body)
	}
	if code, body := m.call(t, "GET", hooksPath, key, nil); code != 200 {
		t.Errorf("GET %s with the Bearer key: %d %s, want 200", hooksPath, code, body)
	}
	if a := dashDo(t, "GET", m.URL+"/", "", http.Header{"Authorization": {"Bearer " + key}}); !strings.Contains(a.Body, `id="stat-events"`) {
		t.Errorf("GET / with the Bearer key: want the dashboard")
	}

	// A forged cookie, or one from a server with another key, opens nothing.
	other := startMock(t, server.Config{APIKey: "another-key"}, nil)
	otherCookie := dashLogin(t, other.URL, "another-key", nil).Cookie
	if len(otherCookie) != 1 {
		t.Fatalf("signing in on a second server gave %d cookies, want 1", len(otherCookie))
	}
	forged := []*http.Cookie{
		{Name: session.Name, Value: session.Value + "x"},
		{Name: session.Name, Value: otherCookie[0].Value},
		{Name: session.Name, Value: key},
	}
	for _, c := range forged {
		if a := dashGet(t, m.URL+"/v1/stats", c); a.Status != 401 {
			t.Errorf("GET /v1/stats with cookie value %q: %d, want 401", c.Value, a.Status)
		}
		if a := dashGet(t, m.URL+"/", c); strings.Contains(a.Body, `id="stat-events"`) {
			t.Errorf("GET / with cookie value %q shows the dashboard, want the sign-in form", c.Value)
		}
	}

	// Another site cannot make the signed-in browser send clicks, or sign it in.
	crossSite := http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"http://attacker.test"}}
	if a := dashDo(t, "POST", m.URL+"/v1/clicks", `{"count":1,"to":"`+rc.URL+`"}`, crossSite, session); a.Status != 403 {
		t.Errorf("cross-site POST /v1/clicks with the session: %d %s, want 403", a.Status, a.Body)
	}
	if a := dashLogin(t, m.URL, key, http.Header{"Origin": {"http://attacker.test"}}); a.Status != 403 || len(a.Cookie) != 0 {
		t.Errorf("cross-site POST /login: %d with %d cookies, want 403 and no cookie", a.Status, len(a.Cookie))
	}
	if s := m.stats(t, key); s.Events != 2 {
		t.Errorf("after the cross-site requests the server has %d events, want still 2", s.Events)
	}

	// Sign-out removes the cookie.
	bye := dashDo(t, "POST", m.URL+"/logout", "", nil, session)
	if bye.Status != http.StatusSeeOther || len(bye.Cookie) != 1 || bye.Cookie[0].Name != session.Name || bye.Cookie[0].MaxAge >= 0 {
		t.Errorf("POST /logout: %d, cookies %v; want 303 expiring %s", bye.Status, bye.Cookie, session.Name)
	}
}

func TestDashboard_WithoutAnAPIKeyEverythingIsOpen(t *testing.T) {
	t.Parallel()
	m := startMock(t, server.Config{}, nil)
	if a := dashGet(t, m.URL+"/"); a.Status != 200 || !strings.Contains(a.Body, `id="stat-events"`) || strings.Contains(a.Body, `action="/logout"`) {
		t.Errorf("GET / without an API key: %d; want the dashboard at once, without a sign-out", a.Status)
	}
	if a := dashLogin(t, m.URL, "anything", nil); a.Status != http.StatusSeeOther || len(a.Cookie) != 0 {
		t.Errorf("POST /login without an API key: %d with %d cookies, want 303 to / and no cookie", a.Status, len(a.Cookie))
	}
	if a := dashGet(t, m.URL+"/v1/webhooks"); a.Status != 200 || !strings.Contains(a.Body, `"webhooks": []`) {
		t.Errorf("GET /v1/webhooks: %d %s, want 200 with an empty list", a.Status, a.Body)
	}
}

func TestDashboard_WebhooksAPIListsEveryAccountMasked(t *testing.T) {
	t.Parallel()
	const key = "k-webhooks"
	m := startMock(t, server.Config{APIKey: key}, nil)
	for _, c := range []struct {
		acct string
		body string
	}{
		{account, `[{"subAccountId":"*","url":"http://user:pw-in-url@127.0.0.1:9/a","httpAuthorization":"Bearer hook-secret-1"}]`},
		{otherAccount, `[{"subAccountId":"s2","url":"http://127.0.0.1:9/b","enabled":false,"oauth":{"url":"http://127.0.0.1:9/token","clientId":"cid","clientSecret":"oauth-secret-2"}}]`},
	} {
		if code, body := m.call(t, "POST", "/api/v1/accounts/"+c.acct+"/webhooks", key, c.body); code != 200 {
			t.Fatalf("registering a webhook for %s: %d %s", c.acct, code, body)
		}
	}
	code, body := m.call(t, "GET", "/v1/webhooks", key, nil)
	var got struct {
		Webhooks []struct {
			AccountID, SubAccountID, URL, HTTPAuthorization string
			Enabled                                         bool
			OAuth                                           *store.OAuth
		}
	}
	mustJSON(t, body, &got)
	if code != 200 || len(got.Webhooks) != 2 {
		t.Fatalf("GET /v1/webhooks: %d %s, want both accounts' webhooks", code, body)
	}
	a, b := got.Webhooks[0], got.Webhooks[1]
	if a.AccountID != account || a.SubAccountID != "*" || a.HTTPAuthorization != "***" || !a.Enabled || strings.Contains(a.URL, "pw-in-url") {
		t.Errorf("first webhook %+v: want account %s, sub *, enabled, httpAuthorization ***, no password in the URL", a, account)
	}
	if b.AccountID != strings.ReplaceAll(otherAccount, "-", "") || b.Enabled || b.OAuth == nil || b.OAuth.ClientSecret != "***" || b.OAuth.ClientID != "cid" {
		t.Errorf("second webhook %+v: want account %s without its dashes, disabled, OAuth clientId cid with the secret ***", b, otherAccount)
	}
	if c, _ := m.call(t, "GET", "/v1/webhooks", "", nil); c != 401 {
		t.Errorf("GET /v1/webhooks without the key: %d, want 401", c)
	}
}

func TestDashboard_NoSecretReachesAPageAnAssetOrTheLog(t *testing.T) {
	t.Parallel()
	const key = "dash-secret-api-key-7f3a"
	secrets := []string{key, "hook-secret-77c1", "oauth-secret-91bd", "recv-secret-e02f"}
	rc := startReceiver(t, always(200))
	m := startMock(t, server.Config{APIKey: key}, nil)
	if code, body := m.call(t, "POST", hooksPath, key, `[{"subAccountId":"*","url":"`+rc.URL+`","httpAuthorization":"Bearer hook-secret-77c1"},`+
		`{"subAccountId":"sub","url":"http://127.0.0.1:9/x","enabled":false,"oauth":{"url":"http://127.0.0.1:9/t","clientId":"c","clientSecret":"oauth-secret-91bd"}}]`); code != 200 {
		t.Fatalf("registering webhooks: %d %s", code, body)
	}
	session := dashLogin(t, m.URL, key, nil).Cookie
	if len(session) != 1 {
		t.Fatalf("sign-in gave %d cookies, want 1", len(session))
	}
	jsonType := http.Header{"Content-Type": {"application/json"}}
	sent := dashDo(t, "POST", m.URL+"/v1/clicks", `{"count":1,"to":"`+rc.URL+`","auth":"Bearer recv-secret-e02f"}`, jsonType, session[0])
	if a := dashDo(t, "POST", m.URL+"/v1/clicks", `{"count":1}`, jsonType, session[0]); sent.Status != 202 || a.Status != 202 {
		t.Fatalf("sending clicks: %d %s / %d %s, want 202", sent.Status, sent.Body, a.Status, a.Body)
	}
	m.waitStats(t, key, "2 events delivered", func(s store.Stats) bool { return s.Delivered == 2 })
	if d := rc.deliveries(); len(d) != 2 {
		t.Fatalf("the receiver got %d requests, want 2", len(d))
	}
	events := dashGet(t, m.URL+"/v1/events", session[0])
	id := regexp.MustCompile(`"eventId": "([^"]+)"`).FindStringSubmatch(events.Body)
	if id == nil {
		t.Fatalf("GET /v1/events lists no event: %s", events.Body)
	}
	answers := map[string]dashAnswer{
		"GET / signed in":           dashGet(t, m.URL+"/", session[0]),
		"GET / signed out":          dashGet(t, m.URL+"/"),
		"POST /login wrong":         dashLogin(t, m.URL, "wrong", nil),
		"GET /v1/webhooks":          dashGet(t, m.URL+"/v1/webhooks", session[0]),
		"GET /v1/events":            events,
		"GET /v1/events/{id}":       dashGet(t, m.URL+"/v1/events/"+id[1], session[0]),
		"GET /assets/dashboard.js":  dashGet(t, m.URL+"/assets/dashboard.js"),
		"GET /assets/dashboard.css": dashGet(t, m.URL+"/assets/dashboard.css"),
		"GET /assets/favicon.svg":   dashGet(t, m.URL+"/assets/favicon.svg"),
	}
	if !strings.Contains(answers["GET / signed in"].Body, "***") {
		t.Errorf("the signed-in dashboard does not show the masked webhook secrets")
	}
	for what, a := range answers {
		for _, s := range secrets {
			if strings.Contains(a.Body, s) {
				t.Errorf("%s contains the secret %q", what, s)
			}
			for k, vs := range a.Header {
				if strings.Contains(strings.Join(vs, " "), s) {
					t.Errorf("%s: header %s contains the secret %q", what, k, s)
				}
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(m.log.String(), s) {
			t.Errorf("the server's log contains the secret %q", s)
		}
	}
}
