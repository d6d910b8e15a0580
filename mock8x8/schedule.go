package mock8x8

import (
	"fmt"
	"time"
)

// DefaultIntervals are 8x8's documented retry intervals: after a failed first attempt,
// the event is retried after 1, 10, 30 and 90 seconds, so at most 5 attempts.
var DefaultIntervals = []time.Duration{1 * time.Second, 10 * time.Second, 30 * time.Second, 90 * time.Second}

// Schedule says when the next attempt of a failed delivery starts.
//
// By default each interval counts from the end of the previous attempt (attempts at about
// 0, 1, 11, 41 and 131 s plus the attempts' own durations). With FromFirstAttempt the
// intervals accumulate from the start of the first attempt (offsets 1, 11, 41, 131 s);
// an attempt that ends after its successor's offset is followed at once.
type Schedule struct {
	// Intervals between attempts; len(Intervals)+1 is the maximum number of attempts.
	Intervals []time.Duration
	// Scale multiplies every interval; 1 (or zero, the zero value) is real time and 0.01
	// runs a full cycle in about 1.3 s.
	Scale float64
	// FromFirstAttempt counts intervals from the first attempt's start instead of from
	// the end of the previous attempt.
	FromFirstAttempt bool
}

// DefaultSchedule returns 8x8's schedule in real time.
func DefaultSchedule() Schedule {
	return Schedule{Intervals: append([]time.Duration(nil), DefaultIntervals...), Scale: 1}
}

// Scaled returns a copy of s with its time scale multiplied by f.
func (s Schedule) Scaled(f float64) Schedule {
	s.Intervals = append([]time.Duration(nil), s.Intervals...)
	s.Scale = s.scale() * f
	return s
}

// Validate reports a schedule that cannot be followed.
func (s Schedule) Validate() error {
	if s.Scale < 0 {
		return fmt.Errorf("schedule: time scale %g is negative; use a positive factor such as 1 or 0.01", s.Scale)
	}
	for i, d := range s.Intervals {
		if d < 0 {
			return fmt.Errorf("schedule: interval %d is negative (%s)", i+1, d)
		}
	}
	return nil
}

// MaxAttempts is the number of attempts an event gets before it is exhausted.
func (s Schedule) MaxAttempts() int { return len(s.Intervals) + 1 }

// Delay returns the scaled wait after attempt n (1-based) failed, and false when attempt n
// was the last one.
func (s Schedule) Delay(n int) (time.Duration, bool) {
	if n < 1 || n > len(s.Intervals) {
		return 0, false
	}
	return s.scaleDuration(s.Intervals[n-1]), true
}

// Offset returns the scaled time from the first attempt's start to attempt n's due time
// when intervals count from the first attempt (attempt 1 has offset 0).
func (s Schedule) Offset(n int) time.Duration {
	var sum time.Duration
	for i := 0; i < n-1 && i < len(s.Intervals); i++ {
		sum += s.Intervals[i]
	}
	return s.scaleDuration(sum)
}

// Next returns when attempt n+1 is due, given when attempt 1 started and when attempt n
// ended, and false when attempt n was the last one.
func (s Schedule) Next(n int, firstStarted, lastEnded time.Time) (time.Time, bool) {
	d, ok := s.Delay(n)
	if !ok {
		return time.Time{}, false
	}
	if !s.FromFirstAttempt {
		return lastEnded.Add(d), true
	}
	due := firstStarted.Add(s.Offset(n + 1))
	if due.Before(lastEnded) {
		return lastEnded, true
	}
	return due, true
}

// Horizon is the longest a delivery can take from its first attempt's start, when each
// attempt takes at most attemptTimeout.
func (s Schedule) Horizon(attemptTimeout time.Duration) time.Duration {
	h := time.Duration(s.MaxAttempts()) * attemptTimeout
	return h + s.Offset(s.MaxAttempts())
}

func (s Schedule) scale() float64 {
	if s.Scale == 0 {
		return 1
	}
	return s.Scale
}

func (s Schedule) scaleDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.scale())
}
