package receiver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// start serves a fresh receiver on a free loopback port, closed when the test ends.
func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing the receiver: %v", err)
		}
	})
	return s
}

// newSender is 8x8's sender, as mocked by mock8x8, delivering to s.
func newSender(t testing.TB, s *Server, auth string) *mock8x8.Sender {
	t.Helper()
	snd, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: s.URL(), Authorization: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(snd.Close)
	return snd
}

var gen = struct {
	sync.Mutex
	*mock8x8.Generator
}{Generator: mock8x8.NewGenerator(7, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))}

// click returns a new realistic click event.
func click() mock8x8.Event {
	gen.Lock()
	defer gen.Unlock()
	return gen.Next()
}

// post sends body to url with the given headers ("Name: value") and returns the status
// and the response body.
func post(t testing.TB, url, body string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		if value == "" {
			req.Header.Del(name)
		} else {
			req.Header.Set(name, value)
		}
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// observed reads an event's count through the observe protocol, as verify does.
func observed(t testing.TB, s *Server, eventID string) int {
	t.Helper()
	resp, err := http.Get(s.ObserveURLFor(eventID))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		EventID string `json:"eventId"`
		Count   *int   `json:"count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Count == nil {
		t.Fatalf("GET %s: %d with a body that has no integer count (%v)", s.ObserveURLFor(eventID), resp.StatusCode, err)
	}
	if want := map[bool]int{true: http.StatusNotFound, false: http.StatusOK}[*got.Count == 0]; resp.StatusCode != want {
		t.Errorf("GET %s: %d with count %d, want %d", s.ObserveURLFor(eventID), resp.StatusCode, *got.Count, want)
	}
	if got.EventID != eventID {
		t.Errorf("observe answer names eventId %q, want %q", got.EventID, eventID)
	}
	return *got.Count
}

// rows counts every stored click.
func rows(t testing.TB, r *Receiver) int {
	t.Helper()
	var n int
	if err := r.store.db.QueryRow(`SELECT count(*) FROM clicks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReceiver_ClickFromTheSenderIsStoredOnceAndDuplicatesAcked(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	snd := newSender(t, s, "")
	ev := click()
	if n := observed(t, s, ev.ID); n != 0 {
		t.Fatalf("count %d before any delivery, want 0", n)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		o := snd.Send(context.Background(), ev)
		if o.Status != http.StatusOK || o.Error != mock8x8.ErrNone {
			t.Fatalf("delivery %d: status %d error %q (%s), want 200", attempt, o.Status, o.Error, o.Message)
		}
		if n := observed(t, s, ev.ID); n != 1 {
			t.Fatalf("after delivery %d: count %d, want 1", attempt, n)
		}
	}
	var stored Click
	err := s.Receiver().store.db.QueryRow(`SELECT event_id, umid, destination, short_url, target_url FROM clicks`).
		Scan(&stored.EventID, &stored.UMID, &stored.Destination, &stored.ShortURL, &stored.TargetURL)
	if err != nil {
		t.Fatal(err)
	}
	d, err := mock8x8.Decode([]byte(ev.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := Click{EventID: d.Click.EventID, UMID: d.Click.UMID, Destination: d.Click.Destination, ShortURL: d.Click.ShortURL, TargetURL: d.Click.TargetURL}
	if stored != want {
		t.Errorf("stored %+v, want %+v", stored, want)
	}
}

// sendAll delivers each event at the same instant (as nearly as goroutines allow) and
// returns the outcomes.
func sendAll(snd *mock8x8.Sender, events []mock8x8.Event) []mock8x8.Outcome {
	out := make([]mock8x8.Outcome, len(events))
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i, ev := range events {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			out[i] = snd.Send(context.Background(), ev)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return out
}

func TestReceiver_ConcurrentDuplicatesAreAllAckedAndAppliedOnce(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"memory", "file"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			if db == "file" {
				cfg.DB = filepath.Join(t.TempDir(), "clicks.db")
			}
			s := start(t, cfg)
			snd := newSender(t, s, "")
			ev := click()
			for i, o := range sendAll(snd, slices.Repeat([]mock8x8.Event{ev}, 16)) {
				if o.Status/100 != 2 {
					t.Errorf("copy %d: status %d error %q (%s), want 2XX", i, o.Status, o.Error, o.Message)
				}
			}
			if n := observed(t, s, ev.ID); n != 1 {
				t.Errorf("count %d after 16 concurrent copies, want 1", n)
			}
		})
	}
}

func TestReceiver_ConcurrentDistinctClicksAreAllStored(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	snd := newSender(t, s, "")
	events := make([]mock8x8.Event, 200)
	for i := range events {
		events[i] = click()
	}
	for i, o := range sendAll(snd, events) {
		if o.Status != http.StatusOK {
			t.Errorf("event %d: status %d error %q (%s), want 200", i, o.Status, o.Error, o.Message)
		}
	}
	for _, ev := range events {
		if n, err := s.Receiver().Count(context.Background(), ev.ID); err != nil || n != 1 {
			t.Fatalf("event %s: count %d (%v), want 1", ev.ID, n, err)
		}
	}
	if n := rows(t, s.Receiver()); n != 200 {
		t.Errorf("%d clicks stored, want 200", n)
	}
}

func TestReceiver_OtherEventTypesAreAckedNotStored(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	snd := newSender(t, s, "")
	g := mock8x8.NewGenerator(11, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
	events := []mock8x8.Event{
		g.NextInbound().Event(),
		g.NextStatusChange().Event(),
		// An event type 8x8 may add later, carrying an eventId: still not a click.
		{ID: "future", Body: `{"namespace":"SMS","eventType":"short_url_previewed","payload":{"eventId":"future"}}`},
	}
	for _, ev := range events {
		if o := snd.Send(context.Background(), ev); o.Status != http.StatusOK {
			t.Errorf("%s: status %d error %q (%s), want 200", ev.ID, o.Status, o.Error, o.Message)
		}
	}
	if n := observed(t, s, "future"); n != 0 {
		t.Errorf("an unknown event type was counted as a click: count %d", n)
	}
	if n := rows(t, s.Receiver()); n != 0 {
		t.Errorf("%d clicks stored from other event types, want 0", n)
	}
}

const validPayload = `"eventId":"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a","occurredAt":"2025-10-03T12:00:00Z","umid":"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a","destination":"+12025550293","shortUrl":"https://2g.to/abc123/abc","targetUrl":"https://example.com/landing?c=fall_campaign"`

// clickBody is the documented example with payload members replaced or added by extra
// (a later key wins in encoding/json, as in most parsers).
func clickBody(extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"namespace":"SMS","eventType":"short_url_clicked","description":"Short URL from SMS clicked","payload":{` + validPayload + extra + `}}`
}

func TestReceiver_Answers(t *testing.T) {
	t.Parallel()
	valid := clickBody("")
	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
		stored  bool
	}{
		{"documented_example", valid, nil, 200, true},
		{"charset_param", valid, []string{"Content-Type: application/json; charset=utf-8"}, 200, true},
		{"no_content_type", valid, []string{"Content-Type: "}, 200, true},
		{"unknown_fields_everywhere", `{"namespace":"SMS","eventType":"short_url_clicked","version":2,"meta":{"a":[1,2]},"payload":{` + validPayload + `,"userAgent":"x","geo":{"country":"US"}}}`, nil, 200, true},
		{"fractional_seconds_and_offset", clickBody(`"occurredAt":"2025-10-03T12:00:00.123456+00:00"`), nil, 200, true},
		{"whitespace", "\n { \"payload\" : {" + validPayload + "} , \"eventType\" : \"short_url_clicked\" }\n", nil, 200, true},
		{"invalid_json", `{"namespace":"SMS",,}`, nil, 400, false},
		{"empty_body", ``, nil, 400, false},
		{"truncated", valid[:len(valid)/2], nil, 400, false},
		{"trailing_garbage", valid + `x`, nil, 400, false},
		{"invalid_utf8", clickBody("\"targetUrl\":\"https://b\xfccher.example/\""), nil, 400, false},
		{"array", `[` + valid + `]`, nil, 400, false},
		{"null", `null`, nil, 400, false},
		{"event_id_number", clickBody(`"eventId":42`), nil, 400, false},
		{"event_id_null", clickBody(`"eventId":null`), nil, 400, false},
		{"event_id_empty", clickBody(`"eventId":""`), nil, 400, false},
		{"missing_event_id", `{"namespace":"SMS","eventType":"short_url_clicked","payload":{"occurredAt":"2025-10-03T12:00:00Z","umid":"u","destination":"+12025550293","shortUrl":"https://2g.to/a/b","targetUrl":"https://example.com"}}`, nil, 400, false},
		{"umid_object", clickBody(`"umid":{}`), nil, 400, false},
		{"occurred_at_not_rfc3339", clickBody(`"occurredAt":"03/10/2025 12:00"`), nil, 400, false},
		{"occurred_at_number", clickBody(`"occurredAt":1759492800`), nil, 400, false},
		{"payload_missing", `{"namespace":"SMS","eventType":"short_url_clicked"}`, nil, 400, false},
		{"payload_string", `{"namespace":"SMS","eventType":"short_url_clicked","payload":"x"}`, nil, 400, false},
		{"event_type_missing", `{"namespace":"SMS","payload":{` + validPayload + `}}`, nil, 400, false},
		{"event_type_number", `{"namespace":"SMS","eventType":1,"payload":{` + validPayload + `}}`, nil, 400, false},
		{"exactly_max_body", padTo(valid, MaxBody), nil, 200, true},
		{"one_byte_over", padTo(valid, MaxBody+1), nil, 413, false},
		{"one_mib", padTo(valid, 1<<20), nil, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, Config{})
			status, body := post(t, s.URL(), tt.body, tt.headers...)
			if status != tt.status {
				t.Errorf("status %d (%s), want %d", status, strings.TrimSpace(body), tt.status)
			}
			var answer map[string]any
			if err := json.Unmarshal([]byte(body), &answer); err != nil {
				t.Errorf("answer %q is not JSON: %v", body, err)
			}
			if _, ok := answer["error"]; ok != (status >= 400) {
				t.Errorf("answer %q: want an \"error\" member exactly on a 4XX", body)
			}
			if got := observed(t, s, "0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a") == 1; got != tt.stored {
				t.Errorf("stored %v, want %v", got, tt.stored)
			}
		})
	}
}

// padTo grows a click body to n bytes with an unknown payload member.
func padTo(body string, n int) string {
	pad := n - len(clickBody(`"pad":""`))
	return clickBody(`"pad":"` + strings.Repeat("x", pad) + `"`)
}

func TestReceiver_BodyCutShortIs400(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	body := clickBody("")
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL()[:strings.LastIndex(s.URL(), WebhookPath)], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Content-Length promises the whole body; half arrives, then the sender stops writing.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", WebhookPath, len(body), body[:len(body)/2])
	conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if n := rows(t, s.Receiver()); n != 0 {
		t.Errorf("%d clicks stored from a cut body, want 0", n)
	}
}

func TestReceiver_Auth(t *testing.T) {
	t.Parallel()
	const secret = "Bearer 9QQhlsEb8VY"
	s := start(t, Config{Auth: secret})
	ev := click()
	for _, tt := range []struct {
		name, auth string
		status     int
	}{
		{"missing", "", 401},
		{"wrong", "Bearer 9QQhlsEb8VZ", 401},
		{"prefix_of_right", "Bearer 9QQ", 401},
		{"right_with_suffix", secret + "x", 401},
		{"other_scheme", "Basic dXNlcjpwYXNzd29yZA==", 401},
	} {
		o := newSender(t, s, tt.auth).Send(context.Background(), ev)
		if o.Status != tt.status {
			t.Errorf("%s Authorization: status %d, want %d", tt.name, o.Status, tt.status)
		}
	}
	if n := observed(t, s, ev.ID); n != 0 {
		t.Fatalf("unauthorized deliveries were stored: count %d", n)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(ev.Body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
		t.Errorf("401 without a Bearer challenge: WWW-Authenticate %q", got)
	}
	if o := newSender(t, s, secret).Send(context.Background(), ev); o.Status != http.StatusOK {
		t.Fatalf("right Authorization: status %d, want 200", o.Status)
	}
	if n := observed(t, s, ev.ID); n != 1 {
		t.Errorf("count %d after an authorized delivery, want 1", n)
	}
}

func TestReceiver_FileDatabasePersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dir with space?#%", "clicks.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	ev := click()
	s, err := Start("127.0.0.1:0", Config{DB: path})
	if err != nil {
		t.Fatal(err)
	}
	status, _ := post(t, s.URL(), ev.Body)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if status != 200 {
		t.Fatalf("status %d, want 200", status)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at --db's path: %v", err)
	}

	s = start(t, Config{DB: path})
	if n := observed(t, s, ev.ID); n != 1 {
		t.Fatalf("count %d after reopening, want 1", n)
	}
	status, body := post(t, s.URL(), ev.Body)
	if status != 200 || !strings.Contains(body, "duplicate") {
		t.Errorf("redelivery after reopening: %d %s, want 200 and a duplicate", status, body)
	}
	if n := observed(t, s, ev.ID); n != 1 {
		t.Errorf("count %d after a redelivery, want 1", n)
	}
}

func TestOpen_UnusableDatabaseFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing", "clicks.db"), dir} {
		r, err := Open(Config{DB: path})
		if err == nil {
			r.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the path %q", err, path)
		}
	}
}

func TestReceiver_RoutesAndHealth(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	base := strings.TrimSuffix(s.URL(), WebhookPath)
	if want := base + "/observed/{eventId}"; s.ObserveURL() != want {
		t.Errorf("ObserveURL %q, want %q", s.ObserveURL(), want)
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", HealthPath, 200},
		{"GET", WebhookPath, 405},
		{"PUT", WebhookPath, 405},
		{"POST", "/webhooks/8x8/extra", 404},
		{"GET", "/", 404},
		{"POST", "/observed/x", 405},
	} {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		if status, _ := do(t, req); status != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, status, tt.status)
		}
	}
}

func TestStart_UnspecifiedHostGivesALoopbackURL(t *testing.T) {
	t.Parallel()
	s, err := Start(":0", Config{})
	if err != nil {
		t.Skipf("cannot listen on all interfaces here: %v", err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q, want http://127.0.0.1:PORT/...", s.URL())
	}
	if status, _ := post(t, s.URL(), click().Body); status != 200 {
		t.Errorf("status %d through %s, want 200", status, s.URL())
	}
}

// BenchmarkReceiver_Ack is one click delivered by 8x8's (mock) sender and acked, on
// loopback, one at a time; it reports the p50 and p99 of the ack as the sender times it.
func BenchmarkReceiver_Ack(b *testing.B) {
	for _, db := range []string{"memory", "file"} {
		b.Run(db, func(b *testing.B) {
			cfg := Config{}
			if db == "file" {
				cfg.DB = filepath.Join(b.TempDir(), "clicks.db")
			}
			r, err := Open(cfg)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(r.Handler())
			defer func() { srv.Close(); r.Close() }()
			snd, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: srv.URL + WebhookPath})
			if err != nil {
				b.Fatal(err)
			}
			defer snd.Close()
			g := mock8x8.NewGenerator(1, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
			events := make([]mock8x8.Event, b.N)
			for i := range events {
				events[i] = g.Next()
			}
			took := make([]time.Duration, 0, b.N)
			ctx := context.Background()
			b.ResetTimer()
			for _, ev := range events {
				o := snd.Send(ctx, ev)
				if o.Status != http.StatusOK {
					b.Fatalf("status %d (%s)", o.Status, o.Message)
				}
				took = append(took, o.Duration())
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
