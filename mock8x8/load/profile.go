package load

import (
	"fmt"
	"math"
	"time"
)

// Profile is an arrival profile: when each event of an open-model run is due. Due times
// come from a formula, never from when earlier events were actually sent, so a receiver
// that falls behind cannot slow the arrivals down.
type Profile interface {
	// Offset returns when event n (0-based) is due, counted from the start of the run,
	// and false when the profile has no event n.
	Offset(n uint64) (time.Duration, bool)
	// Rate returns the intended arrival rate t into the run, in events per second.
	Rate(t time.Duration) float64
	// String describes the profile for reports, e.g. "constant 500/s".
	String() string
}

// Constant sends PerSecond events per second, evenly spaced.
type Constant struct {
	PerSecond float64
}

// Offset returns n/PerSecond.
func (c Constant) Offset(n uint64) (time.Duration, bool) {
	if c.PerSecond <= 0 {
		return 0, false
	}
	return seconds(float64(n) / c.PerSecond), true
}

// Rate returns PerSecond.
func (c Constant) Rate(time.Duration) float64 { return c.PerSecond }

func (c Constant) String() string { return "constant " + perSecond(c.PerSecond) }

// Ramp changes the rate linearly from From to To events per second over Over, then keeps
// To.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

// Offset solves From·t + (To−From)·t²/(2·Over) = n for t.
func (r Ramp) Offset(n uint64) (time.Duration, bool) {
	over := r.Over.Seconds()
	if over <= 0 {
		return Constant{r.To}.Offset(n)
	}
	x := float64(n)
	inRamp := over * (r.From + r.To) / 2 // events due during the ramp
	if x >= inRamp {
		if r.To <= 0 {
			return 0, false
		}
		return seconds(over + (x-inRamp)/r.To), true
	}
	a := (r.To - r.From) / (2 * over)
	if x == 0 {
		return 0, true
	}
	if a == 0 {
		return seconds(x / r.From), true
	}
	// The root of a·t² + From·t − n = 0 in the form that stays exact when a is tiny.
	return seconds(2 * x / (r.From + math.Sqrt(r.From*r.From+4*a*x))), true
}

// Rate returns the rate t into the ramp.
func (r Ramp) Rate(t time.Duration) float64 {
	if t >= r.Over || r.Over <= 0 {
		return r.To
	}
	if t < 0 {
		return r.From
	}
	return r.From + (r.To-r.From)*t.Seconds()/r.Over.Seconds()
}

func (r Ramp) String() string {
	return fmt.Sprintf("ramp %s to %s over %s", perSecond(r.From), perSecond(r.To), r.Over)
}

// Campaign is the click traffic after an SMS blast: a spike at Peak events per second
// when the messages land, decaying by half every HalfLife as recipients stop clicking.
type Campaign struct {
	Peak     float64
	HalfLife time.Duration
}

// Offset inverts N(t) = Peak·h/ln2·(1 − 2^(−t/h)), the clicks expected by t. The
// campaign has at most Peak·h/ln2 clicks in all.
func (c Campaign) Offset(n uint64) (time.Duration, bool) {
	h := c.HalfLife.Seconds()
	if c.Peak <= 0 || h <= 0 {
		return 0, false
	}
	left := 1 - float64(n)*math.Ln2/(c.Peak*h)
	if left <= 0 {
		return 0, false
	}
	return seconds(-h * math.Log2(left)), true
}

// Rate returns Peak·2^(−t/HalfLife).
func (c Campaign) Rate(t time.Duration) float64 {
	if c.HalfLife <= 0 {
		return 0
	}
	return c.Peak * math.Exp2(-t.Seconds()/c.HalfLife.Seconds())
}

func (c Campaign) String() string {
	return fmt.Sprintf("campaign peak %s, half-life %s", perSecond(c.Peak), c.HalfLife)
}

// Due counts the events p has due before d: the first n whose offset is d or later.
func Due(p Profile, d time.Duration) uint64 {
	before := func(n uint64) bool {
		off, ok := p.Offset(n)
		return ok && off < d
	}
	if !before(0) {
		return 0
	}
	hi := uint64(1)
	for before(hi) {
		if hi > 1<<52 {
			return hi
		}
		hi *= 2
	}
	lo := hi / 2 // before(lo) holds, before(hi) does not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if before(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

func perSecond(r float64) string { return fmt.Sprintf("%g/s", r) }
