package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8/store"
)

const serveKey = "apikey-s3cret"

// serveProc is `clickcheck serve` running in a child process (this test binary re-executed).
type serveProc struct {
	cmd    *exec.Cmd
	URL    string
	mu     sync.Mutex
	stderr strings.Builder
	exited chan error
}

var serveBanner = regexp.MustCompile(`clickcheck serve: (http://[^/ ]+)/`)

func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{exited: make(chan error, 1)}
	p.cmd = exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0", "--api-key", serveKey}, args...)...)
	p.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := serveBanner.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case url <- m[1]:
				default:
				}
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	select {
	case p.URL = <-url:
	case <-time.After(20 * time.Second):
		t.Fatalf("serve printed no address within 20s; stderr:\n%s", p.log())
	}
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// api calls the server with the API key and decodes a JSON answer into out.
func (p *serveProc) api(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, p.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+serveKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

func (p *serveProc) stats(t *testing.T) store.Stats {
	t.Helper()
	var s store.Stats
	if code := p.api(t, "GET", "/v1/stats", "", &s); code != 200 {
		t.Fatalf("GET /v1/stats: %d", code)
	}
	if !s.Balanced() {
		t.Fatalf("the counts do not add up: %+v", s)
	}
	return s
}

// arrivals is a receiver that answers 503 to everything and records when each event's
// attempts arrived, with their Authorization.
type arrivals struct {
	mu    sync.Mutex
	times map[string][]time.Time
	auths map[string]bool
	hold  time.Duration
	srv   *httptest.Server
}

func startArrivals(t *testing.T, status int, hold time.Duration) *arrivals {
	a := &arrivals{times: map[string][]time.Time{}, auths: map[string]bool{}, hold: hold}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Payload struct {
				EventID string `json:"eventId"`
			} `json:"payload"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		a.mu.Lock()
		a.times[ev.Payload.EventID] = append(a.times[ev.Payload.EventID], time.Now())
		a.auths[r.Header.Get("Authorization")] = true
		a.mu.Unlock()
		time.Sleep(a.hold)
		w.WriteHeader(status)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// minAttempts is the fewest attempts any of ids has had.
func (a *arrivals) minAttempts(ids []string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	least := 1 << 30
	for _, id := range ids {
		least = min(least, len(a.times[id]))
	}
	return least
}

func TestServe_KillNineMidScheduleThenRestartGivesEveryEventAllItsAttempts(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "mock8x8.db")
	rc := startArrivals(t, 503, 0)
	// Retries after 50 ms, 500 ms, 1.5 s and 4.5 s.
	first := startServe(t, "--db", db, "--time-scale", "0.05")
	hooks := fmt.Sprintf(`[{"subAccountId": "*", "url": %q, "httpAuthorization": "Bearer hook-s3cret"}]`, rc.srv.URL+"/webhooks/8x8")
	if code := first.api(t, "POST", "/api/v1/accounts/"+strings.Repeat("ab", 16)+"/webhooks", hooks, nil); code != 200 {
		t.Fatalf("registering the webhook: %d\n%s", code, first.log())
	}
	var sent struct {
		EventIDs []string `json:"eventIds"`
	}
	if code := first.api(t, "POST", "/v1/clicks", `{"count": 20}`, &sent); code != 202 || len(sent.EventIDs) != 20 {
		t.Fatalf("POST /v1/clicks: %d %+v", code, sent)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rc.minAttempts(sent.EventIDs) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("not every event had 3 attempts within 10s\n%s", first.log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Mid-schedule: attempt 4 of every event is due about 1.5 s from now.
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killedAt := time.Now()
	first.exited <- nil // for the cleanup

	second := startServe(t, "--db", db, "--time-scale", "0.05")
	listening := time.Now() // overdue attempts are resumed before the server listens
	deadline = time.Now().Add(20 * time.Second)
	var s store.Stats
	for s = second.stats(t); s.Pending > 0; s = second.stats(t) {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart events still pending after 20s: %+v\n%s", s, second.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.Events != 20 || s.Exhausted != 20 || s.Attempts != 100 {
		t.Errorf("after the restart: %+v, want 20 events, all exhausted after 5 attempts each (100)", s)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, id := range sent.EventIDs {
		var v store.EventView
		second.api(t, "GET", "/v1/events/"+id, "", &v)
		atts := v.Deliveries[0].Attempts
		if len(atts) != 5 || v.Result != "exhausted" {
			t.Errorf("event %s: %d attempts stored, result %s; want 5 and exhausted", id, len(atts), v.Result)
			continue
		}
		for i, a := range atts {
			if a.Attempt != i+1 || a.Status != 503 {
				t.Errorf("event %s: stored attempt %d is #%d with status %d", id, i+1, a.Attempt, a.Status)
			}
			late := a.StartedAt.Sub(a.ScheduledAt)
			switch {
			case i == 0:
			case a.ScheduledAt.Before(listening) && a.StartedAt.After(killedAt):
				// Due while the server was down (in flight at the kill, or not yet
				// stored, or simply due): the restarted server makes it at once.
				if a.StartedAt.After(listening.Add(time.Second)) {
					t.Errorf("event %s: attempt %d, due while the server was down, started %v after the restarted server listened, want at once (within 1s)", id, a.Attempt, a.StartedAt.Sub(listening))
				}
			case late < 0 || late > 300*time.Millisecond:
				t.Errorf("event %s: attempt %d started %v after its due time, want within 300ms, restart or not", id, a.Attempt, late)
			}
		}
		if !atts[3].StartedAt.After(killedAt) {
			t.Errorf("event %s: attempt 4 started before the kill; the test did not kill mid-schedule", id)
		}
		// At-least-once: an attempt in flight at the kill may arrive twice, nothing else.
		if n := len(rc.times[id]); n < 5 || n > 6 {
			t.Errorf("event %s arrived %d times, want 5 (6 if an attempt was in flight at the kill)", id, n)
		}
	}
	if len(rc.auths) != 1 || !rc.auths["Bearer hook-s3cret"] {
		t.Errorf("the receiver saw Authorization values %v, want only the webhook's", rc.auths)
	}
	for _, secret := range []string{serveKey, "hook-s3cret"} {
		if strings.Contains(first.log()+second.log(), secret) {
			t.Errorf("serve's log shows the secret %q", secret)
		}
	}
}

func TestServe_SIGTERMFinishesTheAttemptInFlightAndExits0Within5s(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "mock8x8.db")
	rc := startArrivals(t, 200, time.Second)
	first := startServe(t, "--db", db)
	var sent struct {
		EventIDs []string `json:"eventIds"`
	}
	body := fmt.Sprintf(`{"count": 1, "to": %q}`, rc.srv.URL+"/webhooks/8x8")
	if code := first.api(t, "POST", "/v1/clicks", body, &sent); code != 202 {
		t.Fatalf("POST /v1/clicks: %d", code)
	}
	for deadline := time.Now().Add(5 * time.Second); rc.minAttempts(sent.EventIDs) < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the attempt never reached the receiver")
		}
	}
	began := time.Now()
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-first.exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0\n%s", err, first.log())
		}
		first.exited <- nil
	case <-time.After(5 * time.Second):
		t.Fatalf("serve still running 5s after SIGTERM\n%s", first.log())
	}
	if took := time.Since(began); took < 900*time.Millisecond {
		t.Errorf("serve exited %v after SIGTERM, before the 1 s attempt in flight could finish", took)
	}
	second := startServe(t, "--db", db)
	var v store.EventView
	second.api(t, "GET", "/v1/events/"+sent.EventIDs[0], "", &v)
	if v.Result != "delivered" || len(v.Deliveries[0].Attempts) != 1 {
		t.Errorf("after SIGTERM and a restart the event is %s with %d attempts, want delivered by the one in flight", v.Result, len(v.Deliveries[0].Attempts))
	}
	if s := second.stats(t); s.Events != 1 || s.Delivered != 1 || s.Attempts != 1 {
		t.Errorf("stats %+v, want the one event delivered in one attempt", s)
	}
}

func TestServe_BadInputExits2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--listen", "0.0.0.0:0"}, "--api-key: listening on \"0.0.0.0:0\""},
		{[]string{"--listen", ":8808"}, "needs an API key"},
		{[]string{"--listen", "nonsense"}, "--listen: \"nonsense\" is not a host:port"},
		{[]string{"--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}, "--db:"},
		{[]string{"--listen", "127.0.0.1:0", "--time-scale", "0"}, "--time-scale"},
		{[]string{"--listen", "127.0.0.1:0", "--timeout", "-1s"}, "--timeout"},
		{[]string{"--listen", "127.0.0.1:0", "--concurrency", "0"}, "--concurrency"},
	} {
		code, _, stderr := runCLI(t, append([]string{"serve"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.says) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and one line saying %q", c.args, code, stderr, c.says)
		}
	}
}
