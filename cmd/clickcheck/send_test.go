package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/sink"
)

// runCLI runs clickcheck with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// records splits `send --json` output into attempt records and the summary.
func records(t *testing.T, out string) ([]mock8x8.Attempt, mock8x8.Stats) {
	t.Helper()
	var atts []mock8x8.Attempt
	var summary *mock8x8.Stats
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if summary != nil {
			t.Fatalf("output continues after the summary line: %q", sc.Text())
		}
		var probe struct {
			Summary *mock8x8.Stats `json:"summary"`
		}
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if probe.Summary != nil {
			summary = probe.Summary
			continue
		}
		var a mock8x8.Attempt
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("line %q is not an attempt record: %v", sc.Text(), err)
		}
		atts = append(atts, a)
	}
	if summary == nil {
		t.Fatalf("no summary line in output:\n%s", out)
	}
	return atts, *summary
}

// expectBadInput runs clickcheck with args and checks the bad-input contract: exit 2, one
// line on stderr naming flag and showing a valid example, nothing on stdout.
func expectBadInput(t *testing.T, args []string, flag string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], flag) || !strings.Contains(lines[0], "e.g.") {
		t.Errorf("stderr should be one line naming %s with an example, got:\n%s", flag, stderr)
	}
	if stdout != "" {
		t.Errorf("nothing should reach stdout on bad input, got %q", stdout)
	}
}

func startSink(t *testing.T, p sink.Policy) *sink.Sink {
	t.Helper()
	s, err := sink.Start(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestSend_BuiltinSinkDeliversEverythingWithRetries(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "send", "--sink", "--count", "20", "--time-scale", "0.01", "--json", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	atts, sum := records(t, stdout)
	// The sink fails the first attempt of every 4th event: 5 events need one retry.
	want := mock8x8.Stats{Events: 20, Delivered: 20, Attempts: 25}
	if sum != want {
		t.Fatalf("summary %+v, want %+v", sum, want)
	}
	if len(atts) != 25 {
		t.Fatalf("%d attempt records, want 25", len(atts))
	}
	retried := 0
	for _, a := range atts {
		if a.Result == mock8x8.Retry {
			retried++
			if a.Status != 503 || a.NextAttemptAt.IsZero() {
				t.Errorf("retry record %+v: want status 503 and a nextAttemptAt", a)
			}
		}
	}
	if retried != 5 {
		t.Errorf("%d retried attempts, want 5", retried)
	}
	if !strings.Contains(stderr, "(--seed 3 --start ") {
		t.Errorf("with --json, stderr %q does not say how to repeat the run", stderr)
	}
}

func TestSend_ExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		wantCode   int
		wantResult mock8x8.Stats
		wantStderr string
	}{
		{"all_delivered", 204, 0, mock8x8.Stats{Events: 3, Delivered: 3, Attempts: 3}, "3 delivered"},
		{"always_503_exhausts", 503, 1, mock8x8.Stats{Events: 3, Exhausted: 3, Attempts: 15}, "exhausted after 5 attempts; last attempt: answered 503 Service Unavailable"},
		{"redirect_is_rejected", 307, 1, mock8x8.Stats{Events: 3, Rejected: 3, Attempts: 3}, "does not follow redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sk := startSink(t, sink.Always(tt.status))
			code, _, stderr := runCLI(t, "send", "--to", sk.URL(), "--count", "3", "--time-scale", "0.001")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantStderr, stderr)
			}
			if got := len(sk.Deliveries()); int64(got) != tt.wantResult.Attempts {
				t.Errorf("receiver got %d requests, want %d", got, tt.wantResult.Attempts)
			}
			code, stdout, _ := runCLI(t, "send", "--to", sk.URL(), "--count", "3", "--time-scale", "0.001", "--json")
			if _, sum := records(t, stdout); sum != tt.wantResult || code != tt.wantCode {
				t.Errorf("--json: exit %d summary %+v, want exit %d summary %+v", code, sum, tt.wantCode, tt.wantResult)
			}
		})
	}
}

func TestSend_BadInputExits2WithOneLineNamingTheFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	malformed := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(malformed, []byte(`{"namespace": "SMS", `), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"ftp_url", []string{"--to", "ftp://x"}, "--to"},
		{"no_host", []string{"--to", "http:///hook"}, "--to"},
		{"missing_to", []string{"--count", "2"}, "--to"},
		{"negative_count", []string{"--to", "http://127.0.0.1:1/h", "--count", "-1"}, "--count"},
		{"unreadable_body_file", []string{"--to", "http://127.0.0.1:1/h", "--body-file", filepath.Join(dir, "missing.json")}, "--body-file"},
		{"malformed_body_file", []string{"--to", "http://127.0.0.1:1/h", "--body-file", malformed}, "--body-file"},
		{"zero_time_scale", []string{"--to", "http://127.0.0.1:1/h", "--time-scale", "0"}, "--time-scale"},
		{"zero_concurrency", []string{"--to", "http://127.0.0.1:1/h", "--concurrency", "0"}, "--concurrency"},
		{"bad_timeout", []string{"--to", "http://127.0.0.1:1/h", "--timeout", "soon"}, "--timeout"},
		{"unknown_flag", []string{"--to", "http://127.0.0.1:1/h", "--colour"}, "--colour"},
		{"unknown_event_type", []string{"--to", "http://127.0.0.1:1/h", "--event-type", "sms_clicked"}, "--event-type"},
		{"bad_start", []string{"--to", "http://127.0.0.1:1/h", "--start", "yesterday"}, "--start"},
		{"auth_and_oauth", []string{"--to", "http://127.0.0.1:1/h", "--auth", "x", "--oauth-token-url", "http://127.0.0.1:1/t"}, "--auth"},
		{"auth_with_a_line_break", []string{"--to", "http://127.0.0.1:1/h", "--auth", "Bearer x\ny"}, "--auth"},
		{"oauth_without_a_secret", []string{"--to", "http://127.0.0.1:1/h", "--oauth-token-url", "http://127.0.0.1:1/t", "--oauth-client-id", "a"}, "--oauth-client-secret"},
		{"oauth_secret_without_a_token_url", []string{"--to", "http://127.0.0.1:1/h", "--oauth-client-secret", "s"}, "--oauth-token-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectBadInput(t, append([]string{"send"}, tt.args...), tt.flag)
		})
	}
}

func TestSend_BodyFileIsSentVerbatim(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.Always(200))
	first := `{"namespace":"SMS","eventType":"short_url_clicked","description":"Short URL from SMS clicked","payload":{"eventId":"0f6a0c0f-8b67-4a3a-a6c3-7b0ecf0d2b1a","occurredAt":"2025-10-03T12:00:00Z","umid":"9e09ac86-bd74-5465-851d-1eb5a5fdbb9a","destination":"+12025550293","shortUrl":"https://2g.to/abc123/abc","targetUrl":"https://example.com/landing?c=fall_campaign"}}`
	second := `{ "namespace" : "SMS",  "eventType":"short_url_clicked", "payload": {"eventId": "c3c9f0a2-1c44-4f5e-9d1b-2b8f3f0a7e11", "extra": [1, 2]} }`
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(first+"\n\n"+second+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "send", "--to", sk.URL(), "--body-file", path)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	got := sk.Deliveries()
	bodies := map[string]bool{}
	for _, d := range got {
		bodies[string(d.Body)] = true
	}
	if len(got) != 2 || !bodies[first] || !bodies[second] {
		t.Fatalf("receiver got %d bodies, want the 2 lines byte for byte: %v", len(got), bodies)
	}
	// The second event is not a complete click event: the user is warned, and it is sent anyway.
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "event 2") {
		t.Errorf("stderr should warn about event 2:\n%s", stderr)
	}
}

func TestSend_DryRunIsReproducibleBySeed(t *testing.T) {
	t.Parallel()
	args := []string{"send", "--dry-run", "--count", "50", "--start", "2026-05-01T08:00:00Z"}
	_, a, _ := runCLI(t, append(args, "--seed", "42")...)
	_, b, _ := runCLI(t, append(args, "--seed", "42")...)
	_, c, _ := runCLI(t, append(args, "--seed", "43")...)
	if a == "" || a != b {
		t.Fatalf("the same seed gave different events:\n%s\n---\n%s", a, b)
	}
	if a == c {
		t.Fatal("seeds 42 and 43 gave the same events")
	}
	if n := strings.Count(a, "\n"); n != 50 {
		t.Fatalf("%d events printed, want 50", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(a), "\n") {
		if _, err := mock8x8.Decode([]byte(line)); err != nil {
			t.Fatalf("generated event does not decode: %v\n%s", err, line)
		}
	}
}

func TestSend_GeneratedClicksHaveHappenedWhenSent(t *testing.T) {
	t.Parallel()
	before := time.Now().UTC().Truncate(time.Second)
	_, out, stderr := runCLI(t, "send", "--dry-run", "--count", "300", "--seed", "9")
	if !strings.Contains(stderr, "(--seed 9 --start ") {
		t.Errorf("stderr %q does not say the seed and start that repeat the events", stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d events printed, want 300; stderr %s", len(lines), stderr)
	}
	var first, last time.Time
	for i, line := range lines {
		var ev struct {
			Payload struct {
				OccurredAt time.Time `json:"occurredAt"`
			} `json:"payload"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, line)
		}
		if i == 0 {
			first = ev.Payload.OccurredAt
		}
		last = ev.Payload.OccurredAt
	}
	// The clicks span minutes of a campaign; all of it is over by the time they are sent.
	if after := time.Now().UTC(); last.After(after) || !last.After(before.Add(-2*time.Second)) || !first.Before(last) {
		t.Errorf("clicks occurred from %s to %s, sent at %s: want the last just before the send, none after it", first, last, after)
	}
}

func TestSend_FlagsReadTheEnvironment(t *testing.T) {
	sk := startSink(t, sink.Always(200))
	t.Setenv("CLICKCHECK_TO", sk.URL())
	t.Setenv("CLICKCHECK_COUNT", "4")
	code, stdout, stderr := runCLI(t, "send", "--json")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, sum := records(t, stdout); sum.Events != 4 {
		t.Fatalf("summary %+v, want 4 events from CLICKCHECK_COUNT", sum)
	}
	t.Setenv("CLICKCHECK_COUNT", "many")
	code, _, stderr = runCLI(t, "send")
	if code != 2 || !strings.Contains(stderr, "CLICKCHECK_COUNT") {
		t.Fatalf("bad env value: exit %d, stderr %q; want 2 naming CLICKCHECK_COUNT", code, stderr)
	}
}

func TestRoot_UnknownCommandIsBadInput(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, "sned")
	if code != 2 || !strings.Contains(stderr, "sned") {
		t.Fatalf("exit %d, stderr %q; want 2 naming the unknown command", code, stderr)
	}
}

func TestRoot_StrayArgumentIsBadInput(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"send", "load", "verify", "receiver", "serve"} {
		code, _, stderr := runCLI(t, cmd, "extra")
		if code != 2 || !strings.Contains(stderr, `takes no arguments, only flags; got "extra"`) {
			t.Errorf("clickcheck %s ... extra: exit %d, stderr %q; want 2 naming the stray argument", cmd, code, stderr)
		}
	}
}

func TestSend_CtrlCRecordsTheAttemptsInFlight(t *testing.T) {
	t.Parallel()
	got := make(chan struct{}, 8)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		time.Sleep(time.Second)
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()
	cmd := exec.Command(os.Args[0], "send", "--to", slow.URL+"/webhooks/8x8", "--count", "3", "--json")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal("the receiver did not get 3 attempts")
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	atts, sum := records(t, stdout.String())
	// The receiver has all three: the journal must show all three, answered.
	if len(atts) != 3 || sum.Attempts != 3 || sum.Delivered != 3 {
		t.Errorf("after Ctrl-C with 3 attempts in flight: %d records, summary %+v; want the 3 attempts recorded and delivered\n%s", len(atts), sum, stdout.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d after Ctrl-C, want 1", code)
	}
}

func TestRoot_AValueTheParserRefusesGetsAValidExample(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--count", "abc"}, "; e.g. --count 1"},
		{[]string{"send", "--timeout", "5"}, "; e.g. --timeout 5s"},
		{[]string{"load", "--rate", "x"}, "; e.g. --rate 100"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("clickcheck %v: exit %d, stderr %q; want 2 and one line ending %q", c.args, code, stderr, c.want)
		}
	}
}
