package load

import (
	"math"
	"testing"
	"time"
)

func TestProfiles_OffsetsFollowTheirRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Profile
		d       time.Duration
		wantDue uint64 // events due in d: the integral of the rate
	}{
		{"constant", Constant{PerSecond: 1000}, 10 * time.Second, 10000},
		{"constant_fractional", Constant{PerSecond: 0.5}, 10 * time.Second, 5},
		{"ramp_up", Ramp{From: 100, To: 1100, Over: 10 * time.Second}, 10 * time.Second, 6000},
		{"ramp_down", Ramp{From: 1100, To: 100, Over: 10 * time.Second}, 10 * time.Second, 6000},
		{"ramp_then_flat", Ramp{From: 0, To: 1000, Over: 10 * time.Second}, 20 * time.Second, 15000},
		{"ramp_flat", Ramp{From: 300, To: 300, Over: 10 * time.Second}, 10 * time.Second, 3000},
		// Peak·h/ln2·(1−2^(−d/h)) with peak 1000, h 10 s, d 20 s: 14427·0.75.
		{"campaign", Campaign{Peak: 1000, HalfLife: 10 * time.Second}, 20 * time.Second, 10821},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Due(tt.p, tt.d); absDiff(got, tt.wantDue) > 1 {
				t.Errorf("%s: %d events due in %s, want %d", tt.p, got, tt.d, tt.wantDue)
			}
			// Offsets never go backwards, and the local spacing matches 1/rate.
			prev := time.Duration(-1)
			for n := uint64(0); n < tt.wantDue; n++ {
				off, ok := tt.p.Offset(n)
				if !ok || off < prev {
					t.Fatalf("%s: event %d at %v (ok=%v) after event %d at %v", tt.p, n, off, ok, n-1, prev)
				}
				prev = off
			}
			mid := tt.wantDue / 2
			a, _ := tt.p.Offset(mid)
			b, _ := tt.p.Offset(mid + 100)
			local := 100 / (b - a).Seconds()
			if want := tt.p.Rate(a + (b-a)/2); math.Abs(local-want)/want > 0.01 {
				t.Errorf("%s: around event %d events come at %.1f/s, want the profile's %.1f/s", tt.p, mid, local, want)
			}
		})
	}
}

func TestConstant_SpacingIsExact(t *testing.T) {
	t.Parallel()
	c := Constant{PerSecond: 3}
	for n, want := range []time.Duration{0, 333333333, 666666667, time.Second} {
		if got, _ := c.Offset(uint64(n)); got != want {
			t.Errorf("event %d at %v, want %v", n, got, want)
		}
	}
}

func TestCampaign_EndsWhenItsClicksRunOut(t *testing.T) {
	t.Parallel()
	c := Campaign{Peak: 10, HalfLife: time.Second} // 10/ln2 ≈ 14.4 clicks in all
	if _, ok := c.Offset(14); !ok {
		t.Error("click 14 missing; the campaign has 14.4 clicks")
	}
	if off, ok := c.Offset(15); ok {
		t.Errorf("click 15 due at %v; the campaign has only 14.4 clicks", off)
	}
	if got := Due(c, time.Hour); got != 15 {
		t.Errorf("%d clicks due in an hour, want all 15 (events 0 to 14)", got)
	}
	if r := c.Rate(2 * time.Second); r != 2.5 {
		t.Errorf("rate two half-lives in: %g, want 2.5", r)
	}
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
