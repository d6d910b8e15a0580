package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/load"
	"github.com/clickcheck/clickcheck/mock8x8/sink"
)

func TestLoad_RunsWritesReportsAndAccountsForEveryEvent(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.FlakyFirst(4)) // every 4th event fails its first attempt
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
	code, stdout, stderr := runCLI(t, "load", "--to", sk.URL(), "--rate", "200", "--duration", "1s",
		"--seed", "42", "--time-scale", "0.01", "--report-json", jsonPath, "--report-html", htmlPath,
		"--max-p99", "5s", "--max-error-rate", "0.5")
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"constant 200/s", "events       200 = 200 delivered + 0 exhausted + 0 rejected + 0 pending", "latency ms", "threshold    max-p99"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "seed 42") {
		t.Errorf("stderr should name the seed so the run can be repeated:\n%s", stderr)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep load.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, b)
	}
	if rep.Events != 200 || rep.Results.Delivered != 200 || rep.Status["503"] != 50 || rep.Attempts != 250 || rep.Seed != 42 {
		t.Errorf("report: events %d, results %+v, status %v, attempts %d, seed %d; want 200 delivered after 50 retried 503s",
			rep.Events, rep.Results, rep.Status, rep.Attempts, rep.Seed)
	}
	if got := len(sk.Deliveries()); got != 250 {
		t.Errorf("sink saw %d deliveries, want 250", got)
	}
	html, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<svg") || strings.Contains(string(html), "://cdn") {
		t.Errorf("HTML report should be self-contained with SVG charts")
	}
}

func TestLoad_MissedThresholdExits1(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.Always(500))
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "load", "--to", sk.URL(), "--rate", "50", "--duration", "200ms",
		"--time-scale", "0.001", "--max-error-rate", "0.01", "--report-json", filepath.Join(dir, "r.json"))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (every attempt failed)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "max-error-rate 1 (limit 0.01): MISSED") {
		t.Errorf("summary should show the missed threshold:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err != nil {
		t.Errorf("the report must be written even when a threshold is missed: %v", err)
	}
}

func TestLoad_MissedP99Exits1(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.Always(200))
	code, stdout, stderr := runCLI(t, "load", "--to", sk.URL(), "--rate", "50", "--duration", "200ms", "--max-p99", "1ns")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (no answer comes within 1ns)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "max-p99 (ms)") || !strings.Contains(stdout, "(limit 1e-06): MISSED") {
		t.Errorf("summary should show the missed p99 threshold:\n%s", stdout)
	}
	if code, stdout, _ := runCLI(t, "load", "--to", sk.URL(), "--rate", "50", "--duration", "200ms", "--max-p99", "10s"); code != 0 {
		t.Errorf("with --max-p99 10s: exit %d, want 0\n%s", code, stdout)
	}
}

func TestLoad_ProgressOffATerminalIsOneLinePerInterval(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.Always(200))
	sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: sk.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	run, err := load.Start(context.Background(), load.Config{Sender: sender, Profile: load.Constant{PerSecond: 100}, Duration: 1100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	l := &loadCmd{stderr: &buf, progressEvery: 250 * time.Millisecond}
	l.showProgress(run)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) < 3 || len(lines) > 5 {
		t.Fatalf("%d progress lines in 1.1s at one per 250ms, want about 4:\n%s", len(lines), buf.String())
	}
	line := regexp.MustCompile(`^  attack \d+s: sent \d+, acked \d+, in flight \d+, pending retries \d+, p99 (-|[0-9.]+[µm]?s)$`)
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("progress line %q is not elapsed, sent, acked, in flight, pending retries and p99", l)
		}
	}
	if last := lines[len(lines)-1]; strings.Contains(last, "sent 0,") {
		t.Errorf("the last progress line shows nothing sent after a second at 100/s: %q", last)
	}
}

func TestLoad_BadInputExits2WithOneLineNamingTheFlag(t *testing.T) {
	t.Parallel()
	to := []string{"--to", "http://127.0.0.1:1/h"}
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"negative_rate", []string{"--rate", "-1"}, "--rate"},
		{"zero_duration", []string{"--duration", "0"}, "--duration"},
		{"unknown_profile", []string{"--profile", "spike"}, "--profile"},
		{"missing_to", nil, "--to"},
		{"zero_connections", []string{"--connections", "0"}, "--connections"},
		{"error_rate_above_1", []string{"--max-error-rate", "2"}, "--max-error-rate"},
		{"half_life_without_campaign", []string{"--half-life", "10s"}, "--half-life"},
		{"ramp_from_without_ramp", []string{"--profile", "campaign", "--ramp-from", "5"}, "--ramp-from"},
		{"campaign_as_fast_as_possible", []string{"--profile", "campaign", "--rate", "0"}, "--rate"},
		{"bad_url", []string{"--to", "ftp://x"}, "--to"},
		{"unwritable_report", []string{"--report-json", "/nonexistent-dir/r.json"}, "--report-json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"load"}, tt.args...)
			if tt.name != "missing_to" && tt.name != "bad_url" {
				args = append(args, to...)
			}
			expectBadInput(t, args, tt.flag)
		})
	}
}

func TestLoad_ProfilesFromFlags(t *testing.T) {
	t.Parallel()
	sk := startSink(t, sink.Always(200))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "ramp", "--rate", "200", "--ramp-from", "100"}, "ramp 100/s to 200/s over 500ms"},
		{[]string{"--profile", "campaign", "--rate", "400", "--half-life", "100ms"}, "campaign peak 400/s, half-life 100ms"},
		{[]string{"--rate", "0", "--connections", "2"}, "as fast as possible, 2 connections"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"load", "--to", sk.URL(), "--duration", "500ms", "--quiet"}, tc.args...)...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("load %v: exit %d, want 0 and a summary naming %q\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.want, stdout, stderr)
		}
	}
}

func TestLoad_InterruptedRunReportsAndExits1(t *testing.T) {
	t.Parallel()
	sk := startSink(t, nil)
	cmd := exec.Command(os.Args[0], "load", "--to", sk.URL(), "--rate", "50", "--duration", "1m", "--quiet")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("load still running 20 s after Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stdout.String(), "interrupted") {
		t.Errorf("Ctrl-C: exit %d, report\n%s\nwant exit 1 and the report saying it was interrupted: a CI job cut short must not pass", code, stdout.String())
	}
}

func TestLoad_EventsNeverSentCountAgainstTheErrorRate(t *testing.T) {
	t.Parallel()
	// Every answer takes 600 ms on one connection: at 50/s most events are never sent.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()
	code, stdout, stderr := runCLI(t, "load", "--to", slow.URL+"/webhooks/8x8", "--rate", "50", "--duration", "1s",
		"--connections", "1", "--max-error-rate", "0.5", "--quiet")
	if code != 1 || !strings.Contains(stdout, "missed") || !strings.Contains(stdout, "max-error-rate") {
		t.Errorf("exit %d; want 1: every attempt made was acked, but most events were never sent\n%s%s", code, stdout, stderr)
	}
}
