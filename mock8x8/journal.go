package mock8x8

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Stats are the journal's counters. At every moment
// Events = Delivered + Exhausted + Rejected + Pending: nothing disappears.
type Stats struct {
	// Events is the number of events accepted for delivery (generated or read).
	Events int64 `json:"events"`
	// Delivered events got a 2XX answer.
	Delivered int64 `json:"delivered"`
	// Exhausted events failed every attempt of the schedule; 8x8 drops them.
	Exhausted int64 `json:"exhausted"`
	// Rejected events got a 1XX or 3XX answer; 8x8 neither follows nor retries it.
	Rejected int64 `json:"rejected"`
	// Pending events are waiting for an attempt or in one.
	Pending int64 `json:"pending"`
	// Attempts is the number of attempts made.
	Attempts int64 `json:"attempts"`
}

// Balanced reports whether the accounting invariant holds.
func (s Stats) Balanced() bool {
	return s.Events == s.Delivered+s.Exhausted+s.Rejected+s.Pending
}

// Undelivered is the number of events that reached a final result other than delivered.
func (s Stats) Undelivered() int64 { return s.Exhausted + s.Rejected }

// Recorder receives every attempt the journal records, in the order it records them.
type Recorder interface {
	Record(Attempt)
}

// RecorderFunc adapts a function to a Recorder.
type RecorderFunc func(Attempt)

// Record calls f(a).
func (f RecorderFunc) Record(a Attempt) { f(a) }

// Journal records every attempt and keeps the accounting counters. Counters and recorders
// are updated under one lock, so Stats is always a consistent snapshot and recorders see
// attempts in the order they were counted. It is safe for concurrent use.
type Journal struct {
	mu        sync.Mutex
	stats     Stats
	recorders []Recorder
}

// NewJournal returns a journal that passes every attempt to the given recorders.
func NewJournal(recorders ...Recorder) *Journal {
	return &Journal{recorders: recorders}
}

// Accept counts n new events as pending.
func (j *Journal) Accept(n int) {
	j.mu.Lock()
	j.stats.Events += int64(n)
	j.stats.Pending += int64(n)
	j.mu.Unlock()
}

// Record counts one attempt; a final result moves its event out of pending.
func (j *Journal) Record(a Attempt) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.stats.Attempts++
	switch a.Result {
	case Delivered:
		j.stats.Delivered++
	case Exhausted:
		j.stats.Exhausted++
	case Rejected:
		j.stats.Rejected++
	}
	if a.Result.Final() {
		j.stats.Pending--
	}
	for _, r := range j.recorders {
		r.Record(a)
	}
}

// Stats returns a consistent snapshot of the counters.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.stats
}

// JSONLines is a Recorder that writes each attempt as one JSON line, the format of
// `clickcheck send --json`. The first write error is kept and later records are skipped.
type JSONLines struct {
	w   io.Writer
	err error
}

// NewJSONLines returns a recorder writing to w. Calls are serialized by the Journal.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Record writes a as one line.
func (l *JSONLines) Record(a Attempt) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(a)
	if err == nil {
		_, err = l.w.Write(append(b, '\n'))
	}
	if err != nil {
		l.err = fmt.Errorf("writing attempt records: %w", err)
	}
}

// WriteSummary writes the closing summary line `{"summary":{...}}`.
func (l *JSONLines) WriteSummary(s Stats) error {
	if l.err != nil {
		return l.err
	}
	b, err := json.Marshal(struct {
		Summary Stats `json:"summary"`
	}{s})
	if err != nil {
		return err
	}
	if _, err := l.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	return nil
}

// Err returns the first write error, if any.
func (l *JSONLines) Err() error { return l.err }
