package load

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1 µs up to an hour: an open-model run
// against a stalled receiver can queue events for a long time, and that must show.
const (
	minLatencyUs = 1
	maxLatencyUs = int64(time.Hour / time.Microsecond)
)

// newHistogram returns a histogram for latencies in microseconds with the given precision
// in significant digits.
func newHistogram(digits int) *hdrhistogram.Histogram {
	return hdrhistogram.New(minLatencyUs, maxLatencyUs, digits)
}

// record adds d to h, clamped to the histogram's range so no sample is dropped.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < minLatencyUs {
		us = minLatencyUs
	}
	if us > maxLatencyUs {
		us = maxLatencyUs
	}
	_ = h.RecordValue(us) // in range by construction
}

// timeline keeps latency per second of the run. Only the last few seconds are open; older
// ones are folded into Points, so memory stays flat however long the run.
type timeline struct {
	mu     sync.Mutex
	start  time.Time
	open   map[int]*second
	free   []*second
	points []Point
	done   int // seconds below this are folded into points
}

type second struct {
	h      *hdrhistogram.Histogram
	failed int64
}

// openSeconds is how long a second stays open for late samples before it is folded:
// samples are recorded as attempts finish, so a second is complete one second later.
const openSeconds = 1

func newTimeline(start time.Time) *timeline {
	return &timeline{start: start, open: make(map[int]*second)}
}

// record adds an attempt that finished at the given time.
func (t *timeline) record(finished time.Time, latency time.Duration, failed bool) {
	sec := int(finished.Sub(t.start) / time.Second)
	t.mu.Lock()
	defer t.mu.Unlock()
	if sec < t.done {
		sec = t.done // later than its second could fold: count it in the oldest open one
	}
	s := t.open[sec]
	if s == nil {
		s = t.newSecond()
		t.open[sec] = s
		t.foldLocked(sec - openSeconds)
	}
	record(s.h, latency)
	if failed {
		s.failed++
	}
}

func (t *timeline) newSecond() *second {
	if n := len(t.free); n > 0 {
		s := t.free[n-1]
		t.free = t.free[:n-1]
		return s
	}
	return &second{h: newHistogram(2)}
}

// foldLocked turns every open second before upTo into a Point.
func (t *timeline) foldLocked(upTo int) {
	for ; t.done < upTo; t.done++ {
		s := t.open[t.done]
		if s == nil { // nothing finished in this second: a stall shows as a gap
			t.points = append(t.points, Point{Second: t.done})
			continue
		}
		delete(t.open, t.done)
		t.points = append(t.points, Point{
			Second: t.done,
			Count:  s.h.TotalCount(),
			Failed: s.failed,
			P50:    ms(s.h.ValueAtQuantile(50)),
			P90:    ms(s.h.ValueAtQuantile(90)),
			P99:    ms(s.h.ValueAtQuantile(99)),
			Max:    ms(s.h.Max()),
		})
		s.h.Reset()
		s.failed = 0
		t.free = append(t.free, s)
	}
}

// recentP99 is the p99 in milliseconds of the last second folded, and false before any.
func (t *timeline) recentP99() (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.points) - 1; i >= 0; i-- {
		if t.points[i].Count > 0 {
			return t.points[i].P99, true
		}
	}
	return 0, false
}

// finish folds every second up to end and returns all the points.
func (t *timeline) finish(end time.Time) []Point {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := int(end.Sub(t.start)/time.Second) + 1
	for sec := range t.open {
		if sec >= last {
			last = sec + 1
		}
	}
	t.foldLocked(last)
	return append([]Point(nil), t.points...)
}

// ms converts microseconds to milliseconds.
func ms(us int64) float64 { return float64(us) / 1000 }
