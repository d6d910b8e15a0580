package mock8x8_test

import (
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

func TestSchedule_Delay(t *testing.T) {
	t.Parallel()
	s := mock8x8.DefaultSchedule()
	tests := []struct {
		attempt int
		want    time.Duration
		ok      bool
	}{
		{0, 0, false},          // there is no attempt 0
		{1, time.Second, true}, // after the first failure
		{2, 10 * time.Second, true},
		{3, 30 * time.Second, true},
		{4, 90 * time.Second, true},
		{5, 0, false}, // the fifth attempt is the last
		{6, 0, false},
	}
	for _, tt := range tests {
		got, ok := s.Delay(tt.attempt)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Delay(%d) = %v, %v; want %v, %v", tt.attempt, got, ok, tt.want, tt.ok)
		}
	}
	if n := s.MaxAttempts(); n != 5 {
		t.Errorf("MaxAttempts() = %d, want 5", n)
	}
}

func TestSchedule_Scaled(t *testing.T) {
	t.Parallel()
	s := mock8x8.DefaultSchedule().Scaled(0.01)
	want := []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond}
	for i, w := range want {
		if got, _ := s.Delay(i + 1); got != w {
			t.Errorf("scaled Delay(%d) = %v, want %v", i+1, got, w)
		}
	}
	// Scaling twice multiplies, and never touches the original.
	orig := mock8x8.DefaultSchedule()
	twice := orig.Scaled(0.1).Scaled(0.1)
	if got, _ := twice.Delay(4); got != 900*time.Millisecond {
		t.Errorf("Scaled(0.1).Scaled(0.1).Delay(4) = %v, want 900ms", got)
	}
	if got, _ := orig.Delay(4); got != 90*time.Second {
		t.Errorf("original schedule changed: Delay(4) = %v", got)
	}
	if err := mock8x8.DefaultSchedule().Scaled(-1).Validate(); err == nil {
		t.Error("a negative scale validated")
	}
}

func TestSchedule_Next(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return first.Add(time.Duration(s * float64(time.Second))) }
	fromFirst := mock8x8.DefaultSchedule()
	fromFirst.FromFirstAttempt = true
	tests := []struct {
		name      string
		s         mock8x8.Schedule
		attempt   int
		lastEnded time.Time
		want      time.Time
		ok        bool
	}{
		{"from_previous_end", mock8x8.DefaultSchedule(), 1, at(5), at(6), true},
		{"from_previous_end_3", mock8x8.DefaultSchedule(), 3, at(20), at(50), true},
		{"last_attempt", mock8x8.DefaultSchedule(), 5, at(131), time.Time{}, false},
		{"from_first", fromFirst, 2, at(1.2), at(11), true},
		{"from_first_4", fromFirst, 4, at(41), at(131), true},
		{"from_first_overrun", fromFirst, 1, at(5), at(5), true}, // attempt 1 ended after offset 1 s
		{"from_first_last", fromFirst, 5, at(131), time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := tt.s.Next(tt.attempt, first, tt.lastEnded)
		if !got.Equal(tt.want) || ok != tt.ok {
			t.Errorf("%s: Next(%d) = %v, %v; want %v, %v", tt.name, tt.attempt, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSchedule_Horizon(t *testing.T) {
	t.Parallel()
	if got, want := mock8x8.DefaultSchedule().Horizon(5*time.Second), 156*time.Second; got != want {
		t.Errorf("Horizon(5s) = %v, want %v (131 s of intervals plus five 5 s attempts)", got, want)
	}
}
