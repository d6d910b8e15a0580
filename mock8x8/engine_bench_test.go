package mock8x8_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// instant503 fails every attempt at once: it measures the engine, not a network.
type instant503 struct{}

func (instant503) Send(context.Context, mock8x8.Event) mock8x8.Outcome {
	return mock8x8.Outcome{Status: 503}
}

// BenchmarkEngine_RetryBacklog holds 100,000 events pending retry at once and measures
// how late each retry starts against its due time, and the process's peak RSS.
//
// 100k events are submitted over 5 s against an attempter that fails at once, with the
// schedule scaled by 0.1 (retries 0.1, 1, 3 and 9 s apart), so from t=5 s to t=13.1 s
// every event is pending. Run it alone (scripts/bench-retry.sh) so the RSS is the engine's.
func BenchmarkEngine_RetryBacklog(b *testing.B) {
	const (
		events = 100_000
		window = 5 * time.Second
		scale  = 0.1
	)
	for i := 0; i < b.N; i++ {
		// Lateness in microseconds, 1 µs to 1 min; recorders run under the journal's lock.
		lateness := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
		journal := mock8x8.NewJournal(mock8x8.RecorderFunc(func(a mock8x8.Attempt) {
			if a.Attempt > 1 {
				_ = lateness.RecordValue(max(1, a.Lateness().Microseconds()))
			}
		}))
		eng, err := mock8x8.NewEngine(instant503{}, mock8x8.EngineConfig{
			Schedule: mock8x8.DefaultSchedule().Scaled(scale), Concurrency: 16, Journal: journal,
		})
		if err != nil {
			b.Fatal(err)
		}
		gen := mock8x8.NewGenerator(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		baseRSS := rssBytes() // the process before any event: runtime, test binary, generator
		stopRSS := make(chan struct{})
		peakRSS, peakPending := make(chan int64, 1), int64(0)
		go func() {
			var peak int64
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					peak = max(peak, rssBytes())
					if p := journal.Stats().Pending; p > peakPending {
						peakPending = p
					}
				case <-stopRSS:
					peakRSS <- peak
					return
				}
			}
		}()
		began := time.Now()
		for n := 0; n < events; n++ {
			// Spread submissions evenly over the window.
			if due := began.Add(window * time.Duration(n) / events); time.Until(due) > time.Millisecond {
				time.Sleep(time.Until(due))
			}
			if err := eng.Submit(gen.Next()); err != nil {
				b.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := eng.Wait(ctx); err != nil {
			b.Fatalf("engine did not finish: %v, stats %+v", err, journal.Stats())
		}
		cancel()
		eng.Close()
		close(stopRSS)
		rss := <-peakRSS
		s := journal.Stats()
		if s.Exhausted != events || s.Attempts != events*5 || !s.Balanced() {
			b.Fatalf("stats %+v, want %d events exhausted after 5 attempts each", s, events)
		}
		if n := lateness.TotalCount(); n != events*4 {
			b.Fatalf("%d retries measured, want %d", n, events*4)
		}
		ms := func(us int64) float64 { return float64(us) / 1000 }
		b.ReportMetric(float64(peakPending), "peak-pending")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(baseRSS)/(1<<20), "base-RSS-MB")
		b.ReportMetric(ms(lateness.ValueAtQuantile(50)), "p50-late-ms")
		b.ReportMetric(ms(lateness.ValueAtQuantile(99)), "p99-late-ms")
		b.ReportMetric(ms(lateness.Max()), "max-late-ms")
		runtime.GC()
	}
}

// rssBytes reads the process's resident set size from /proc (Linux).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
