package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/sink"
)

// sendCmd holds `clickcheck send`'s flags.
type sendCmd struct {
	stdout, stderr io.Writer

	deliveryFlags
	bodyFile, start, eventType string
	count, concurrency         int
	seed                       uint64
	jsonOut, useSink, dryRun   bool
}

const exampleTo = "--to http://127.0.0.1:8080/webhooks/8x8"

func newSendCmd(stdout, stderr io.Writer) *cobra.Command {
	s := &sendCmd{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "send --to URL [flags]",
		Short: "Deliver click events to a receiver exactly as 8x8 does, retries included",
		Long: `send generates realistic short_url_clicked events (or reads them with --body-file) and
delivers each one as 8x8 does: a POST with Content-Type application/json, a 5 s timeout,
redirects not followed, and on a connection error, timeout, 4XX or 5XX a retry after 1, 10,
30 and 90 seconds (5 attempts at most). --time-scale 0.01 runs the whole schedule in about
1.3 s. Events are delivered concurrently, each on its own schedule.

Exit codes: 0 every event delivered (2XX), 1 any event exhausted, rejected (1XX/3XX) or
still pending, 2 bad input.`,
		Example: `  clickcheck send --to http://127.0.0.1:8080/webhooks/8x8 --count 100 --time-scale 0.01
  clickcheck send --sink --count 20 --time-scale 0.01 --json
  clickcheck send --to https://hooks.example.com/8x8 --auth "Bearer s3cret" --body-file events.ndjson`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return s.run(cmd.Context(), cmd) },
	}
	f := cmd.Flags()
	s.deliveryFlags.register(f)
	f.BoolVar(&s.useSink, "sink", false, "deliver to a built-in loopback receiver instead of --to, to try clickcheck without one\n(it answers 200, and 503 to the first attempt of every 4th event so retries show)")
	f.IntVar(&s.count, "count", 1, "number of events to generate")
	f.Uint64Var(&s.seed, "seed", 0, "generator seed; the same --seed and --start give byte-identical events (default random, printed)")
	f.StringVar(&s.start, "start", "", "RFC 3339 time the generated campaign starts at (default: early enough that every click has happened by now)")
	f.StringVar(&s.eventType, "event-type", mock8x8.EventTypeClick, "type of events to generate: "+strings.Join(eventTypes, ", "))
	f.StringVar(&s.bodyFile, "body-file", "", "send the events in this file verbatim instead of generating them:\none JSON event, a JSON array of events, or one event per line (NDJSON); - reads stdin")
	f.IntVar(&s.concurrency, "concurrency", mock8x8.DefaultConcurrency, "attempts in flight at once")
	f.BoolVar(&s.jsonOut, "json", false, "print one JSON attempt record per line on stdout, then a summary line")
	f.BoolVar(&s.dryRun, "dry-run", false, "print the events as NDJSON on stdout instead of sending them")
	return cmd
}

var eventTypes = []string{mock8x8.EventTypeClick, mock8x8.EventTypeInbound, mock8x8.EventTypeStatusChange}

func (s *sendCmd) run(ctx context.Context, cmd *cobra.Command) error {
	if err := s.validate(cmd); err != nil {
		return err
	}
	events, describe, err := s.events(cmd)
	if err != nil {
		return err
	}
	if s.dryRun {
		// The events go to stdout; what reproduces them, to stderr.
		fmt.Fprintf(s.stderr, "clickcheck send --dry-run: %s\n", describe)
		for ev := range events {
			if _, err := fmt.Fprintf(s.stdout, "%s\n", ev.Body); err != nil {
				return err
			}
		}
		return nil
	}
	target := s.to
	if s.useSink {
		sk, err := sink.Start(sink.FlakyFirst(4))
		if err != nil {
			return err
		}
		defer sk.Close()
		target = sk.URL()
	}
	sender, err := mock8x8.NewSender(s.senderConfig(target))
	if err != nil {
		return &UsageError{Problem: err.Error(), Example: "see `clickcheck send --help`"}
	}
	defer sender.Close()
	return s.deliver(ctx, sender, events, describe)
}

// validate checks every flag before anything is sent: bad input attempts nothing.
func (s *sendCmd) validate(cmd *cobra.Command) error {
	switch {
	case s.useSink && s.to != "":
		return usagef("--sink", "--sink --count 20", "cannot be combined with --to; pick one target")
	case !s.useSink && s.to == "" && !s.dryRun:
		return usagef("--to", exampleTo, "is required (or use --sink to try the built-in receiver)")
	case s.count < 0:
		return usagef("--count", "--count 100", "%d is negative; give the number of events to send", s.count)
	case s.count == 0 && s.bodyFile == "":
		return usagef("--count", "--count 100", "0 events to send")
	case s.bodyFile != "" && cmd.Flags().Changed("count"):
		return usagef("--count", "--body-file events.ndjson", "cannot be combined with --body-file, which sends every event in the file")
	case s.concurrency < 1:
		return usagef("--concurrency", "--concurrency 16", "%d: need at least 1 attempt in flight", s.concurrency)
	}
	if err := s.deliveryFlags.validate(); err != nil {
		return err
	}
	if !contains(eventTypes, s.eventType) {
		return usagef("--event-type", "--event-type "+mock8x8.EventTypeClick, "%q is not an SMS event type; use one of %s", s.eventType, strings.Join(eventTypes, ", "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// events returns the events to send, produced lazily, and a phrase describing them.
func (s *sendCmd) events(cmd *cobra.Command) (func(yield func(mock8x8.Event) bool), string, error) {
	if s.bodyFile != "" {
		return s.fileEvents()
	}
	seed := s.seed
	if !cmd.Flags().Changed("seed") && os.Getenv(envPrefix+"SEED") == "" {
		seed = randomSeed()
	}
	start := time.Now().UTC().Truncate(time.Second)
	if s.start == "" && s.eventType == mock8x8.EventTypeClick {
		start = mock8x8.RecentStart(seed, start, s.count) // clicks that have just happened
	}
	if s.start != "" {
		t, err := time.Parse(time.RFC3339Nano, s.start)
		if err != nil {
			return nil, "", usagef("--start", "--start 2026-01-02T15:04:05Z", "%q is not an RFC 3339 time", s.start)
		}
		start = t.UTC()
	}
	gen := mock8x8.NewGenerator(seed, start)
	next := gen.Next
	switch s.eventType {
	case mock8x8.EventTypeInbound:
		next = func() mock8x8.Event { return gen.NextInbound().Event() }
	case mock8x8.EventTypeStatusChange:
		next = func() mock8x8.Event { return gen.NextStatusChange().Event() }
	}
	seq := func(yield func(mock8x8.Event) bool) {
		for i := 0; i < s.count; i++ {
			if !yield(next()) {
				return
			}
		}
	}
	return seq, fmt.Sprintf("%d generated %s event%s (--seed %d --start %s)", s.count, s.eventType, plural(s.count), seed, start.Format(time.RFC3339Nano)), nil
}

// fileEvents reads --body-file, warning about events 8x8 would never send.
func (s *sendCmd) fileEvents() (func(yield func(mock8x8.Event) bool), string, error) {
	var r io.Reader = os.Stdin
	name := "stdin"
	if s.bodyFile != "-" {
		f, err := os.Open(s.bodyFile)
		if err != nil {
			return nil, "", usagef("--body-file", "--body-file events.ndjson", "cannot read %q: %v", s.bodyFile, errors.Unwrap(err))
		}
		defer f.Close()
		r, name = f, s.bodyFile
	}
	events, err := mock8x8.ReadEvents(r, name)
	if err != nil {
		return nil, "", usagef("--body-file", "--body-file events.ndjson", "%v", err)
	}
	for i, ev := range events {
		if err := mock8x8.Lint(ev); err != nil && !s.dryRun {
			fmt.Fprintf(s.stderr, "warning: %s event %d (%s) is not a valid 8x8 event, sending it verbatim anyway: %v\n", name, i+1, ev.ID, err)
		}
	}
	seq := func(yield func(mock8x8.Event) bool) {
		for _, ev := range events {
			if !yield(ev) {
				return
			}
		}
	}
	return seq, fmt.Sprintf("%d event%s from %s", len(events), plural(len(events)), name), nil
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1 // keep it positive for readability
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// deliver runs every event through the retry engine and reports the outcome.
func (s *sendCmd) deliver(ctx context.Context, sender *mock8x8.Sender, events func(func(mock8x8.Event) bool), describe string) error {
	sched := s.schedule()
	// Events wait for their first attempt in a bounded window, so memory follows the
	// number of pending retries, not --count.
	window := make(chan struct{}, 4*s.concurrency)
	failures := &failureLog{max: 10}
	recorders := []mock8x8.Recorder{failures, mock8x8.RecorderFunc(func(a mock8x8.Attempt) {
		if a.Attempt == 1 {
			<-window
		}
	})}
	var lines *mock8x8.JSONLines
	if s.jsonOut {
		lines = mock8x8.NewJSONLines(s.stdout)
		recorders = append(recorders, lines)
	}
	// On stderr in both modes: with --json it is all that says how to repeat the run.
	fmt.Fprintf(s.stderr, "clickcheck send: %s to %s\n  time scale %g: retries after %s\n", describe, sender.URL(), s.timeScale, describeSchedule(sched))
	journal := mock8x8.NewJournal(recorders...)
	eng, err := mock8x8.NewEngine(sender, mock8x8.EngineConfig{Schedule: sched, Concurrency: s.concurrency, Journal: journal})
	if err != nil {
		return err
	}
	began := time.Now()
	defer eng.Close()
	stopProgress := func() {}
	if !s.jsonOut {
		stopProgress = s.reportProgress(journal, began)
		defer stopProgress()
	}
	for ev := range events {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if err := eng.Submit(ev); err != nil {
			return err
		}
	}
	waitErr := eng.Wait(ctx)
	stopProgress()
	// After Ctrl-C, the attempts in flight still finish (within one timeout) and are
	// recorded: the receiver may already have them, so the journal must say so.
	sctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	_ = eng.Shutdown(sctx)
	cancel()
	stats := journal.Stats()
	if lines != nil {
		if err := lines.WriteSummary(stats); err != nil {
			return err
		}
	} else {
		s.printSummary(stats, failures, time.Since(began), waitErr != nil)
	}
	if stats.Delivered != stats.Events || waitErr != nil {
		return errFailed
	}
	return nil
}

// progressEvery is how often a long human-mode run says where it stands.
const progressEvery = 10 * time.Second

// reportProgress prints the counters every progressEvery until the returned stop is
// called: at real time scale a failing receiver keeps events pending for minutes.
func (s *sendCmd) reportProgress(journal *mock8x8.Journal, began time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				st := journal.Stats()
				fmt.Fprintf(s.stderr, "  %s: %d delivered, %d exhausted, %d rejected, %d pending; %d attempt%s\n",
					time.Since(began).Round(time.Second), st.Delivered, st.Exhausted, st.Rejected, st.Pending, st.Attempts, plural(int(st.Attempts)))
			case <-done:
				return
			}
		}
	}()
	return sync.OnceFunc(func() { close(done); <-finished })
}

func describeSchedule(s mock8x8.Schedule) string {
	var parts []string
	for n := 1; ; n++ {
		d, ok := s.Delay(n)
		if !ok {
			break
		}
		parts = append(parts, d.String())
	}
	from := "each previous attempt's end"
	if s.FromFirstAttempt {
		from = "the first attempt, cumulatively"
	}
	return strings.Join(parts, ", ") + " (counted from " + from + ")"
}

func (s *sendCmd) printSummary(st mock8x8.Stats, failures *failureLog, took time.Duration, interrupted bool) {
	w := s.stderr
	fmt.Fprintf(w, "  %d event%s: %d delivered, %d exhausted, %d rejected, %d pending; %d attempt%s in %s\n",
		st.Events, plural(int(st.Events)), st.Delivered, st.Exhausted, st.Rejected, st.Pending, st.Attempts, plural(int(st.Attempts)), took.Round(time.Millisecond))
	if interrupted {
		fmt.Fprintf(w, "  interrupted: %d event%s never reached a final result\n", st.Pending, plural(int(st.Pending)))
	}
	failures.print(w)
}

// failureLog keeps the last attempt of the first events that were not delivered.
type failureLog struct {
	mu    sync.Mutex
	max   int
	shown []mock8x8.Attempt
	more  int
}

func (f *failureLog) Record(a mock8x8.Attempt) {
	if a.Result != mock8x8.Exhausted && a.Result != mock8x8.Rejected {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.shown) < f.max {
		f.shown = append(f.shown, a)
	} else {
		f.more++
	}
}

func (f *failureLog) print(w io.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.shown) == 0 {
		return
	}
	fmt.Fprintln(w, "  not delivered:")
	for _, a := range f.shown {
		fmt.Fprintf(w, "    %s  %s after %d attempt%s; last attempt: %s\n", a.EventID, a.Result, a.Attempt, plural(a.Attempt), describeAnswer(a))
	}
	if f.more > 0 {
		fmt.Fprintf(w, "    ... and %d more (use --json for every attempt)\n", f.more)
	}
}

// describeAnswer says what the receiver did and why 8x8 gives up on it.
func describeAnswer(a mock8x8.Attempt) string {
	answered := fmt.Sprintf("answered %d %s", a.Status, http.StatusText(a.Status))
	switch {
	case a.Error != mock8x8.ErrNone:
		return a.Message
	case a.Result == mock8x8.Rejected && a.Status >= 300 && a.Status < 400:
		return answered + "; 8x8 does not follow redirects, so the event is lost"
	case a.Result == mock8x8.Rejected:
		return answered + "; 8x8 retries only errors, 4XX and 5XX, so the event is lost"
	default:
		return answered + "; 8x8 drops an event after its fifth failed attempt"
	}
}
