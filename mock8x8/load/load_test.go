package load_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/load"
)

// receiver is a loopback webhook receiver that remembers every eventId it was sent.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	ids    []string
	bodies int
	answer func(id string, attempt int) int // status for the attempt-th delivery of id
	seen   map[string]int
	before func() // runs before each answer, e.g. to stall
}

func newReceiver(t *testing.T, answer func(id string, attempt int) int) *receiver {
	t.Helper()
	r := &receiver{answer: answer, seen: make(map[string]int)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d, err := mock8x8.Decode(body)
		if err != nil {
			t.Errorf("receiver got an invalid event: %v\n%s", err, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id := d.Click.EventID
		r.mu.Lock()
		r.seen[id]++
		n := r.seen[id]
		if n == 1 {
			r.ids = append(r.ids, id)
		}
		before := r.before
		r.mu.Unlock()
		if before != nil {
			before()
		}
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(id, n)
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) eventIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func sender(t *testing.T, url string, timeout time.Duration) *mock8x8.Sender {
	t.Helper()
	s, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: url + "/webhooks/8x8", Timeout: timeout, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func run(t *testing.T, cfg load.Config) *load.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration+30*time.Second)
	defer cancel()
	r, err := load.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
		t.Fatalf("run of %v did not finish within %v", cfg.Duration, cfg.Duration+30*time.Second)
	}
	rep := r.Report()
	res := rep.Results
	if rep.Events != res.Delivered+res.Exhausted+res.Rejected+res.Pending {
		t.Fatalf("accounting broken: %d events but %+v", rep.Events, res)
	}
	return rep
}

func TestLoad_PacingHitsTheTargetRate(t *testing.T) {
	recv := newReceiver(t, nil)
	var mu sync.Mutex
	var arrivals []time.Time
	recv.before = func() {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	}
	rep := run(t, load.Config{
		Sender:   sender(t, recv.URL, 0),
		Profile:  load.Constant{PerSecond: 1000},
		Duration: 3 * time.Second,
		Seed:     1,
	})
	if rep.Events != 3000 || rep.Missed != 0 {
		t.Errorf("%d events sent, %d missed; want exactly the 3000 due in 3 s at 1000/s", rep.Events, rep.Missed)
	}
	if d := rep.Rate.Achieved/rep.Rate.Target - 1; d > 0.01 || d < -0.01 {
		t.Errorf("achieved %.1f/s for a target of %.1f/s: off by %.2f%%, want within 1%%", rep.Rate.Achieved, rep.Rate.Target, 100*d)
	}
	if rep.Results.Delivered != 3000 || rep.Status["200"] != 3000 || rep.Attempts != 3000 {
		t.Errorf("results %+v, status %v, %d attempts; want all 3000 delivered on the first attempt", rep.Results, rep.Status, rep.Attempts)
	}
	if rep.Throughput < 900 || rep.Throughput > 1010 {
		t.Errorf("throughput %.1f/s, want about 1000/s (acknowledged events over a 3 s run)", rep.Throughput)
	}
	if n := len(recv.eventIDs()); n != 3000 {
		t.Errorf("receiver saw %d distinct events, want 3000: every request is a unique event", n)
	}
	// Paced, not bunched: each second of the run brings its thousand, as the receiver
	// sees them (the achieved rate alone counts only what was sent in the end).
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) == 3000 {
		perSecond := make([]int, 3)
		for _, at := range arrivals {
			if i := int(at.Sub(arrivals[0]) / time.Second); i < 3 {
				perSecond[i]++
			}
		}
		for i, n := range perSecond {
			if n < 900 || n > 1100 {
				t.Errorf("second %d of the run brought %d requests, want about 1000 (%v)", i+1, n, perSecond)
			}
		}
	}
}

func TestLoad_StallRaisesLatencyFromIntendedSendTime(t *testing.T) {
	// Open model, like wrk2: events due while the receiver stalls keep their due time, so a
	// 1 s stall in a 4 s run at a fixed rate gives a quarter of the events latencies spread
	// over 0..1 s, and p99 near 1 s. A tool that measured from the actual send (coordinated
	// omission) would report only the few requests that were in flight as slow.
	var stallOnce sync.Once
	stallUntil := make(chan struct{})
	start := time.Now()
	recv := newReceiver(t, nil)
	recv.before = func() {
		if time.Since(start) < 1500*time.Millisecond {
			return
		}
		stallOnce.Do(func() { time.AfterFunc(time.Second, func() { close(stallUntil) }) })
		<-stallUntil
	}
	rep := run(t, load.Config{
		Sender:      sender(t, recv.URL, 0),
		Profile:     load.Constant{PerSecond: 200},
		Duration:    4 * time.Second,
		Connections: 10,
		Seed:        2,
	})
	if rep.Results.Delivered != rep.Events || rep.Events < 790 {
		t.Fatalf("results %+v of %d events, want about 800 all delivered", rep.Results, rep.Events)
	}
	lat := rep.LatencyMs
	if lat.P99 < 850 || lat.P99 > 1300 {
		t.Errorf("p99 %.1f ms after a 1 s stall in a 4 s run, want about 960 ms (wrk2's figure)", lat.P99)
	}
	if lat.P90 < 400 {
		t.Errorf("p90 %.1f ms, want about 600 ms: a quarter of the events were due during the stall", lat.P90)
	}
	if lat.P50 > 100 {
		t.Errorf("p50 %.1f ms, want small: most events were not affected", lat.P50)
	}
	if lat.Max < 950 {
		t.Errorf("max %.1f ms, want at least the 1 s stall", lat.Max)
	}
}

func TestLoad_AccountsForEveryEventThroughRetries(t *testing.T) {
	// The receiver decides by eventId: some events always fail (exhausted), some are
	// redirected (rejected), some fail once then succeed, the rest succeed at once.
	kind := func(id string) string {
		switch id[0] {
		case '0', '1':
			return "always-500"
		case '2':
			return "redirect"
		case '3', '4', '5':
			return "503-once"
		default:
			return "ok"
		}
	}
	recv := newReceiver(t, func(id string, attempt int) int {
		switch kind(id) {
		case "always-500":
			return 500
		case "redirect":
			return 302
		case "503-once":
			if attempt == 1 {
				return 503
			}
		}
		return 200
	})
	rep := run(t, load.Config{
		Sender:   sender(t, recv.URL, 0),
		Profile:  load.Constant{PerSecond: 400},
		Duration: time.Second,
		Seed:     3,
		Schedule: mock8x8.DefaultSchedule().Scaled(0.005), // the full schedule in about 0.7 s
	})
	want := map[string]int64{}
	for _, id := range recv.eventIDs() {
		want[kind(id)]++
	}
	if rep.Events != 400 || rep.Results.Pending != 0 {
		t.Fatalf("%d events, %d pending; want 400 events all settled after the drain", rep.Events, rep.Results.Pending)
	}
	if rep.Results.Exhausted != want["always-500"] || rep.Results.Rejected != want["redirect"] ||
		rep.Results.Delivered != want["503-once"]+want["ok"] {
		t.Errorf("results %+v, want exhausted %d, rejected %d, delivered %d", rep.Results,
			want["always-500"], want["redirect"], want["503-once"]+want["ok"])
	}
	wantAttempts := 5*want["always-500"] + want["redirect"] + 2*want["503-once"] + want["ok"]
	if rep.Attempts != wantAttempts {
		t.Errorf("%d attempts, want %d", rep.Attempts, wantAttempts)
	}
	if rep.Status["500"] != 5*want["always-500"] || rep.Status["503"] != want["503-once"] || rep.Status["302"] != want["redirect"] {
		t.Errorf("status counts %v, want 500×%d 503×%d 302×%d", rep.Status, 5*want["always-500"], want["503-once"], want["redirect"])
	}
	var sum int64
	for _, n := range rep.Status {
		sum += n
	}
	for _, n := range rep.Errors {
		sum += n
	}
	if sum != rep.Attempts {
		t.Errorf("status and error counts add up to %d, want every one of the %d attempts", sum, rep.Attempts)
	}
}

func TestLoad_ConnectionErrorsAreCountedAndRetried(t *testing.T) {
	recv := newReceiver(t, nil)
	url := recv.URL
	recv.Close() // nothing listens any more: every attempt is refused
	rep := run(t, load.Config{
		Sender:   sender(t, url, 0),
		Profile:  load.Constant{PerSecond: 100},
		Duration: 500 * time.Millisecond,
		Schedule: mock8x8.DefaultSchedule().Scaled(0.001),
	})
	if rep.Events != 50 || rep.Results.Exhausted != 50 || rep.Errors["refused"] != 250 || rep.Attempts != 250 {
		t.Errorf("events %d, results %+v, errors %v, attempts %d; want 50 events each refused 5 times", rep.Events, rep.Results, rep.Errors, rep.Attempts)
	}
	if rep.Throughput != 0 {
		t.Errorf("throughput %.1f/s with nothing acknowledged, want 0", rep.Throughput)
	}
}

func TestLoad_SameSeedSameEvents(t *testing.T) {
	ids := func(seed uint64) []string {
		recv := newReceiver(t, nil)
		rep := run(t, load.Config{
			Sender: sender(t, recv.URL, 0), Profile: load.Constant{PerSecond: 500},
			Duration: 200 * time.Millisecond, Seed: seed,
		})
		if rep.Events != 100 {
			t.Fatalf("%d events, want 100", rep.Events)
		}
		got := recv.eventIDs()
		sort.Strings(got)
		return got
	}
	a, b, c := ids(7), ids(7), ids(8)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Error("two runs with seed 7 sent different events")
	}
	inA := map[string]bool{}
	for _, id := range a {
		inA[id] = true
	}
	for _, id := range c {
		if inA[id] {
			t.Fatalf("seeds 7 and 8 both sent event %s", id)
		}
	}
}

func TestLoad_AsFastAsPossible(t *testing.T) {
	recv := newReceiver(t, nil)
	rep := run(t, load.Config{Sender: sender(t, recv.URL, 0), Duration: 500 * time.Millisecond, Connections: 4})
	if rep.Events < 100 || rep.Results.Delivered != rep.Events || rep.Rate.Target != 0 || rep.Throughput <= 0 {
		t.Errorf("closed loop: %d events, results %+v, rate %+v, throughput %.0f; want many events all delivered, no target rate", rep.Events, rep.Results, rep.Rate, rep.Throughput)
	}
	if n := int64(len(recv.eventIDs())); n != rep.Events {
		t.Errorf("receiver saw %d distinct events of %d sent", n, rep.Events)
	}
}

func TestLoad_AbortLeavesEventsPendingNotLost(t *testing.T) {
	recv := newReceiver(t, func(string, int) int { return 503 })
	ctx, cancel := context.WithCancel(context.Background())
	r, err := load.Start(ctx, load.Config{
		Sender: sender(t, recv.URL, 0), Profile: load.Constant{PerSecond: 200}, Duration: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("aborted run did not finish within 10 s")
	}
	rep := r.Report()
	if !rep.Interrupted || rep.Results.Pending == 0 || rep.Events != rep.Results.Delivered+rep.Results.Exhausted+rep.Results.Rejected+rep.Results.Pending {
		t.Errorf("after abort: interrupted %v, events %d, results %+v; want interrupted, retries left pending, accounting balanced", rep.Interrupted, rep.Events, rep.Results)
	}
}

func TestLoad_ReportJSONHasTheDocumentedFields(t *testing.T) {
	recv := newReceiver(t, nil)
	rep := run(t, load.Config{Sender: sender(t, recv.URL, 0), Profile: load.Constant{PerSecond: 100}, Duration: 300 * time.Millisecond})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"rate.target", "rate.achieved", "duration", "events", "attempts", "throughput",
		"results.delivered", "results.exhausted", "results.rejected", "results.pending",
		"status.200", "errors", "latencyMs.p50", "latencyMs.p90", "latencyMs.p99", "latencyMs.p999", "latencyMs.max",
	} {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if v == nil {
			t.Errorf("report JSON has no %q:\n%s", path, b)
		}
	}
	if doc["rate"].(map[string]any)["target"].(float64) != 100 || doc["events"].(float64) != 30 {
		t.Errorf("rate %v, events %v; want target 100 and 30 events", doc["rate"], doc["events"])
	}
}

func TestStart_RejectsBadConfig(t *testing.T) {
	s := sender(t, "http://127.0.0.1:1", 0)
	for _, tc := range []struct {
		cfg  load.Config
		want string
	}{
		{load.Config{Duration: time.Second}, "Sender"},
		{load.Config{Sender: s}, "duration"},
		{load.Config{Sender: s, Duration: time.Second, Connections: -1}, "connections"},
	} {
		if _, err := load.Start(context.Background(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v): error %v, want one about %s", tc.cfg, err, tc.want)
		}
	}
}

func TestLoad_DrainStopsAtItsBoundAndReportsTheRestPending(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(string, int) int { return 503 })
	sender, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: rc.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	began := time.Now()
	// Real-time retries (1 s, then 10 s): a 300 ms drain lets none of the later ones happen.
	run, err := load.Start(context.Background(), load.Config{Sender: sender, Profile: load.Constant{PerSecond: 100},
		Duration: 800 * time.Millisecond, Drain: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rep := run.Report()
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("the run took %v, want about 1.1s: the drain must stop at its 300ms bound, not the 131s horizon", took)
	}
	r := rep.Results
	if rep.Events != 80 || r.Pending == 0 || r.Delivered != 0 || rep.Events != r.Delivered+r.Exhausted+r.Rejected+r.Pending {
		t.Errorf("report %d events = %+v, want 80 events, those still waiting for a retry counted as pending", rep.Events, r)
	}
}

func TestLoad_ThroughputIsAcknowledgedEventsOverTheWholeRun(t *testing.T) {
	t.Parallel()
	t.Run("every ack comes in the drain", func(t *testing.T) {
		t.Parallel()
		recv := newReceiver(t, func(_ string, attempt int) int {
			if attempt == 1 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		// The retry comes 1 s × 0.5 after each first attempt: always after the 400 ms attack.
		rep := run(t, load.Config{Sender: sender(t, recv.URL, 0), Profile: load.Constant{PerSecond: 50},
			Duration: 400 * time.Millisecond, Schedule: mock8x8.DefaultSchedule().Scaled(0.5)})
		want := float64(rep.Results.Delivered) / (rep.Duration + rep.Drain)
		if rep.Results.Delivered != 20 || rep.Drain <= 0 || math.Abs(rep.Throughput-want) > 1e-9 {
			t.Errorf("delivered %d over %.2fs + %.2fs drain, throughput %.2f/s; want all 20 delivered on their retry, throughput %.2f/s",
				rep.Results.Delivered, rep.Duration, rep.Drain, rep.Throughput, want)
		}
	})
	t.Run("a campaign that runs out early still lasts its duration", func(t *testing.T) {
		t.Parallel()
		recv := newReceiver(t, nil)
		rep := run(t, load.Config{Sender: sender(t, recv.URL, 0), Profile: load.Campaign{Peak: 100, HalfLife: 50 * time.Millisecond},
			Duration: 1 * time.Second, Schedule: mock8x8.DefaultSchedule()})
		if rep.Duration < 1 || rep.Throughput > rep.Rate.Achieved*1.0001 {
			t.Errorf("duration %.2fs, achieved %.2f/s, throughput %.2f/s; want the 1 s asked for, and no more acked per second than sent",
				rep.Duration, rep.Rate.Achieved, rep.Throughput)
		}
	})
}
