package load

import "time"

// Report is the outcome of a load run: what was asked for, what was achieved, and where
// every event ended up. It marshals to the document `clickcheck load --report-json` writes.
type Report struct {
	// Target is the receiver's URL, any password in it replaced.
	Target string `json:"target"`
	// Profile describes the arrival profile, e.g. "constant 500/s".
	Profile string `json:"profile"`
	// Seed made the events; the same seed makes the same events in the same order.
	Seed        uint64    `json:"seed"`
	Connections int       `json:"connections"`
	TimeScale   float64   `json:"timeScale"`
	StartedAt   time.Time `json:"startedAt"`
	Rate        Rate      `json:"rate"`
	// Duration is the attack in seconds: the duration asked for, or until the last first
	// attempt ended if later (only an interrupted run is shorter).
	Duration float64 `json:"duration"`
	// Drain is the time in seconds spent after the attack waiting for pending retries.
	Drain float64 `json:"drain"`
	// Events is the number of events generated and sent (each unique).
	Events int64 `json:"events"`
	// Missed counts events the profile asked for that were never sent because the
	// receiver (or this machine) could not keep up before the duration ran out.
	Missed int64 `json:"missed"`
	// Interrupted is true when the run was stopped before its duration ran out.
	Interrupted bool `json:"interrupted"`
	// Attempts counts every POST, first attempts and retries.
	Attempts int64 `json:"attempts"`
	// Throughput is events acknowledged (2XX, first attempt or retry) per second of the
	// run: the attack and the drain.
	Throughput float64 `json:"throughput"`
	// Results accounts for every event: Events = Delivered + Exhausted + Rejected + Pending.
	Results Results `json:"results"`
	// Status counts attempts by HTTP status code ("200", "503", ...).
	Status map[string]int64 `json:"status"`
	// Errors counts attempts that got no response, by error class ("timeout", "refused", ...).
	Errors map[string]int64 `json:"errors"`
	// LatencyMs summarises every attempt's latency, measured from when the attempt was
	// due (the profile's intended send time, or the retry's due time), not from when it
	// was actually sent: a receiver that stalls shows in every percentile.
	LatencyMs Latency `json:"latencyMs"`
	// Timeline is one point per second of the run, for latency over time.
	Timeline []Point `json:"timeline"`
	// Distribution is the latency distribution: the latency at each quantile.
	Distribution []Quantile `json:"distribution"`
	// Thresholds are the CI limits checked, if any were set.
	Thresholds []Threshold `json:"thresholds,omitempty"`
}

// Rate compares the arrival rate asked for with the one achieved, in events per second.
// Target is 0 for an as-fast-as-possible run.
type Rate struct {
	Target   float64 `json:"target"`
	Achieved float64 `json:"achieved"`
}

// Results says where every event ended up.
type Results struct {
	Delivered int64 `json:"delivered"`
	Exhausted int64 `json:"exhausted"`
	Rejected  int64 `json:"rejected"`
	Pending   int64 `json:"pending"`
}

// Latency summarises a latency distribution, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
}

// Point is one second of the run: the attempts that finished in it and their latency
// in milliseconds.
type Point struct {
	// Second counts from the start of the run: 0 is the first second.
	Second int     `json:"t"`
	Count  int64   `json:"count"`
	Failed int64   `json:"failed"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
}

// Quantile is one point of the latency distribution: Fraction of the attempts took at
// most Ms milliseconds.
type Quantile struct {
	Fraction float64 `json:"quantile"`
	Ms       float64 `json:"ms"`
}

// Threshold is one CI limit and whether the run kept it.
type Threshold struct {
	// Name is the flag that set it and the unit of Limit and Actual: "max-p99 (ms)" or
	// "max-error-rate" (a share of attempts).
	Name   string  `json:"name"`
	Limit  float64 `json:"limit"`
	Actual float64 `json:"actual"`
	Passed bool    `json:"passed"`
}
