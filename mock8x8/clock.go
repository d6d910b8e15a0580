package mock8x8

import "github.com/jonboulle/clockwork"

// Clock is the source of time for everything in mock8x8 that waits or stamps a time.
// Production code uses RealClock; tests pass a clockwork.FakeClock and advance it.
type Clock = clockwork.Clock

// Timer is a timer created by a Clock.
type Timer = clockwork.Timer

// RealClock returns the wall clock.
func RealClock() Clock { return clockwork.NewRealClock() }
