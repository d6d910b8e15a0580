package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/clickcheck/clickcheck/suites"
)

// verifySlots bounds how many verify processes run at once on a 2-core machine.
var verifySlots = make(chan struct{}, 3)

// verifyRun is one `clickcheck verify` in its own process.
type verifyRun struct {
	code           int
	stdout, stderr string
	failed         []string // areas with a failed spec
	passed         []string // areas with a passed spec
}

// runVerify runs `clickcheck verify args...` in a fresh process (the test binary acting
// as clickcheck) and reads its JSON report.
func runVerify(t *testing.T, args ...string) verifyRun {
	t.Helper()
	// The slow check mostly sleeps through 8x8's retry horizon: it needs no slot.
	if i := slices.Index(args, "--label-filter"); i < 0 || i+1 >= len(args) || args[i+1] != suites.AreaSlow {
		verifySlots <- struct{}{}
		defer func() { <-verifySlots }()
	}
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"verify", "--json-report", report}, args...)...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GINKGO_NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := verifyRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("verify %v did not end within 4 minutes: %v\n%s", args, err, res.stdout)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		return res // bad input writes no report
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil {
		t.Fatalf("the JSON report does not parse: %v", err)
	}
	failed, passed := map[string]bool{}, map[string]bool{}
	for _, r := range reports {
		for _, s := range r.SpecReports {
			for _, l := range s.Labels() {
				if !slices.Contains(suites.Areas, l) {
					continue
				}
				switch {
				case s.State.Is(types.SpecStateFailureStates):
					failed[l] = true
				case s.State == types.SpecStatePassed:
					passed[l] = true
				}
			}
		}
	}
	res.failed, res.passed = keys(failed), keys(passed)
	return res
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestVerify_ReferenceReceiverPasses(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	res := runVerify(t, "--auth", "Bearer reference", "--junit-report", junit)
	if res.code != 0 || len(res.failed) > 0 {
		t.Fatalf("verify against the reference receiver: exit %d, failed areas %v\n%s\n%s", res.code, res.failed, res.stdout, res.stderr)
	}
	for _, area := range []string{suites.AreaAck, suites.AreaCompat, suites.AreaAuth, suites.AreaIdempotency, suites.AreaRetry, suites.AreaLatency, suites.AreaRobustness, suites.AreaNoLoss} {
		if !slices.Contains(res.passed, area) {
			t.Errorf("area %s did not pass (passed: %v)", area, res.passed)
		}
	}
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var suitesXML struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(raw, &suitesXML); err != nil || suitesXML.Tests < 40 || suitesXML.Failures != 0 {
		t.Errorf("JUnit report: %+v, %v; want 40+ tests and no failures", suitesXML, err)
	}
	for _, want := range []string{"verdict: PASS", "latency ", "p99 "} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, res.stdout)
		}
	}
}

// defectCases are faulty receivers and the area that must catch each. The README's
// table of defects mirrors this list.
var defectCases = []struct {
	name string
	d    defects
	auth string   // the Authorization the receiver wants (verify is given it too)
	args []string // extra verify flags
	area string
}{
	{"409 on duplicates", defects{dupStatus: 409}, "", nil, suites.AreaIdempotency},
	{"no dedupe", defects{noDedupe: true}, "", nil, suites.AreaIdempotency},
	{"dedupe races under concurrent duplicates", defects{racyDedupe: true}, "", nil, suites.AreaIdempotency},
	{"dedupe on umid+shortUrl instead of eventId", defects{dedupeOnUMID: true}, "", nil, suites.AreaIdempotency},
	{"slow tail: 5% of acks over 2 s", defects{slowTailFrac: 0.05, slowTail: 2100 * time.Millisecond}, "", nil, suites.AreaLatency},
	{"every ack slow", defects{slowEvery: 150 * time.Millisecond}, "", []string{"--latency-p99", "100ms"}, suites.AreaLatency},
	{"rejects unknown fields", defects{strictFields: true}, "", nil, suites.AreaCompat},
	{"rejects other event types", defects{clicksOnly: true}, "", nil, suites.AreaCompat},
	{"counts other event types as clicks", defects{countSiblings: true}, "", nil, suites.AreaCompat},
	{"refuses a charset on Content-Type", defects{strictContentType: true}, "", nil, suites.AreaCompat},
	{"ignores auth", defects{ignoreAuth: true}, "Bearer right", nil, suites.AreaAuth},
	{"dies on garbage input", defects{dieOnGarbage: true}, "", nil, suites.AreaRobustness},
	{"silently loses ~2% under concurrency", defects{loseFrac: 0.02}, "", nil, suites.AreaNoLoss},
	{"redirects", defects{redirect: true}, "", nil, suites.AreaAck},
	{"slower than the sender timeout", defects{slowEvery: 1500 * time.Millisecond}, "", []string{"--timeout", "1s"}, suites.AreaAck},
	{"parses occurredAt without fractional seconds or offsets", defects{strictTime: true}, "", nil, suites.AreaAck},
	{"accepts only US numbers", defects{usOnly: true}, "", nil, suites.AreaAck},
	{"acks, then drops clicks with fractional seconds or offsets", defects{dropOddTimes: true}, "", nil, suites.AreaAck},
	{"acks before parsing; its worker dies on bad input", defects{ackFirst: true}, "", nil, suites.AreaRobustness},
	// Real time: about 156 s, in parallel with the rest.
	{"forgets eventIds after 60 s (dedupe window shorter than 8x8's retries)", defects{dedupeTTL: time.Minute}, "", []string{"--label-filter", "slow"}, suites.AreaSlow},
}

func TestVerify_CatchesEachDefectInItsArea(t *testing.T) {
	t.Parallel()
	for _, tc := range defectCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(newTestReceiver(tc.d, tc.auth))
			defer srv.Close()
			args := append([]string{"--target", srv.URL + "/webhooks/8x8", "--observe-url", srv.URL + "/observed/{eventId}"}, tc.args...)
			if tc.auth != "" {
				args = append(args, "--auth", tc.auth)
			}
			began := time.Now()
			res := runVerify(t, args...)
			t.Logf("%s: exit %d in %s, failed areas %v", tc.name, res.code, time.Since(began).Round(time.Second), res.failed)
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			if !slices.Contains(res.failed, tc.area) {
				t.Fatalf("failed areas %v do not include %q\n%s", res.failed, tc.area, tail(res.stdout, 40))
			}
		})
	}
}

func TestVerify_WithoutAnObserverWhatWasAppliedIsSkippedNeverPassed(t *testing.T) {
	t.Parallel()
	// No dedupe at all: only an observer can see it, so without one the checks that
	// claim "applied once" must say skipped, not pass.
	srv := httptest.NewServer(newTestReceiver(defects{noDedupe: true}, ""))
	defer srv.Close()
	res := runVerify(t, "--target", srv.URL+"/webhooks/8x8")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0: every ack is right\n%s", res.code, tail(res.stdout, 30))
	}
	for _, area := range []string{suites.AreaIdempotency, suites.AreaRetry, suites.AreaNoLoss} {
		if slices.Contains(res.passed, area) {
			t.Errorf("area %s passed without an observer; its checks are about what was applied", area)
		}
	}
	for _, area := range []string{suites.AreaAck, suites.AreaLatency, suites.AreaRobustness} {
		if !slices.Contains(res.passed, area) {
			t.Errorf("area %s did not pass; it judges acks, which need no observer (passed: %v)", area, res.passed)
		}
	}
	for _, want := range []string{"idempotency  skip  acked as 8x8 expects, but whether", "needs an observer: pass --observe-url"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, tail(res.stdout, 14))
		}
	}
}

func TestVerify_AReceiverThatWantsCredentialsSaysToPassAuth(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newTestReceiver(defects{}, "Bearer right"))
	defer srv.Close()
	res := runVerify(t, "--target", srv.URL+"/webhooks/8x8")
	if res.code != 1 || !strings.Contains(res.stdout, "it answered 401: if it checks Authorization, give verify the value 8x8 would send with --auth") {
		t.Errorf("exit %d; want 1 and the summary pointing at --auth\n%s", res.code, tail(res.stdout, 14))
	}
}

func TestVerify_OtherCorrectReceiversPass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		d    defects
	}{
		{"202 with no body", defects{ackStatus: 202}},
		{"204", defects{ackStatus: 204}},
		{"201 with a body", defects{ackStatus: 201, ackBody: `{"stored":true}`}},
		{"refuses clicks dated in the future", defects{refuseFuture: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(newTestReceiver(tc.d, "Bearer ok"))
			defer srv.Close()
			res := runVerify(t, "--target", srv.URL+"/webhooks/8x8", "--observe-url", srv.URL+"/observed/{eventId}", "--auth", "Bearer ok")
			if res.code != 0 || len(res.failed) > 0 {
				t.Fatalf("exit %d, failed areas %v; a correct receiver must pass\n%s", res.code, res.failed, tail(res.stdout, 40))
			}
		})
	}
}

func TestVerify_ObserveCmd(t *testing.T) {
	t.Parallel()
	tr := newTestReceiver(defects{}, "")
	tr.countDir = t.TempDir()
	srv := httptest.NewServer(tr)
	defer srv.Close()
	// The observe command reads the count the receiver wrote for the event, 0 when none.
	observe := `cat "` + tr.countDir + `/{eventId}" 2>/dev/null || echo 0`
	res := runVerify(t, "--target", srv.URL+"/webhooks/8x8", "--observe-cmd", observe, "--label-filter", "idempotency || compat")
	if res.code != 0 || len(res.failed) > 0 || !slices.Contains(res.passed, suites.AreaIdempotency) {
		t.Fatalf("exit %d, failed %v, passed %v; want idempotency to pass through --observe-cmd\n%s", res.code, res.failed, res.passed, tail(res.stdout, 30))
	}
	// The same receiver with no dedupe must fail through the same observer.
	bad := newTestReceiver(defects{noDedupe: true}, "")
	bad.countDir = t.TempDir()
	badSrv := httptest.NewServer(bad)
	defer badSrv.Close()
	res = runVerify(t, "--target", badSrv.URL+"/webhooks/8x8", "--observe-cmd", `cat "`+bad.countDir+`/$EVENT_ID" 2>/dev/null || echo 0`, "--label-filter", "idempotency")
	if res.code != 1 || !slices.Contains(res.failed, suites.AreaIdempotency) {
		t.Fatalf("no-dedupe receiver through --observe-cmd with $EVENT_ID: exit %d, failed %v; want idempotency to fail", res.code, res.failed)
	}
}

func TestVerify_BadInputExits2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--target", "ftp://x"}, "--target"},
		{[]string{"--observe-url", "http://127.0.0.1:1/observed"}, "--observe-url"},
		{[]string{"--observe-url", "http://x/{eventId}", "--observe-cmd", "echo 1"}, "--observe-url"},
		{[]string{"--timeout", "0s"}, "--timeout"},
		{[]string{"--latency-p99", "-1s"}, "--latency-p99"},
		{[]string{"--time-scale", "2"}, "--time-scale"},
		{[]string{"--label-filter", "ack &&"}, "--label-filter"},
		{[]string{"--junit-report", "/nonexistent/dir/junit.xml"}, "--junit-report"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"verify"}, tc.args...)...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.flag) || stdout != "" {
			t.Errorf("verify %v: exit %d, stderr %q; want 2 and one line naming %s", tc.args, code, stderr, tc.flag)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
