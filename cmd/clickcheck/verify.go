package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clickcheck/clickcheck/examples/receiver"
	"github.com/clickcheck/clickcheck/suites"
)

// verifyCmd holds `clickcheck verify`'s flags.
type verifyCmd struct {
	stdout, stderr io.Writer

	target                  suites.Target
	labelFilter             string
	junitReport, jsonReport string
	verbose                 bool
}

func newVerifyCmd(stdout, stderr io.Writer) *cobra.Command {
	v := &verifyCmd{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "verify [--target URL] [flags]",
		Short: "Check a webhook receiver against what 8x8 will do to it",
		Long: `verify delivers events to a receiver through the mock 8x8 sender (same headers, timeout and
redirect handling as 8x8) and checks, area by area, that it:

  ack          acks every event 8x8 sends with a 2XX within the sender timeout (a 3XX loses it)
  compat       tolerates unknown fields, the other SMS event types and a charset parameter
  auth         checks the Authorization header (with --auth)
  idempotency  acks duplicates, concurrent duplicates and redeliveries, and applies each event once
  retry        acks the retry of an event whose first answer came too late
  latency      keeps p99 ack latency within --latency-p99 over 200 events at concurrency 8
  robustness   answers bad input (4XX expected) and still acks the next event
  no-loss      applies every one of 1,000 concurrent events exactly once
  slow         remembers events for 8x8's whole real-time retry horizon (excluded by default)

Idempotency and loss show only in side effects: give an observer (--observe-url or
--observe-cmd) so verify can count how often the receiver applied each event; checks
that need one are skipped without it. With no --target, verify starts clickcheck's
reference receiver on a free loopback port and checks it.

Exit codes: 0 every selected check passed, 1 any failed, 2 bad input.`,
		Example: `  clickcheck verify
  clickcheck verify --target http://127.0.0.1:8080/webhooks/8x8 --observe-url 'http://127.0.0.1:8080/observed/{eventId}'
  clickcheck verify --target https://hooks.example.com/8x8 --auth "Bearer s3cret" --label-filter 'ack || idempotency' --junit-report junit.xml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return v.run() },
	}
	f := cmd.Flags()
	f.StringVar(&v.target.URL, "target", "", "the receiver's webhook URL (default: the built-in reference receiver)")
	f.StringVar(&v.target.Auth, "auth", "", `the Authorization value the receiver expects, e.g. "Bearer 9QQhlsEb8VY" (enables the auth checks)`)
	f.StringVar(&v.target.ObserveURL, "observe-url", "", "URL template with {eventId}: GET answers 200 {\"count\": n} or 404 for how often the event was applied")
	f.StringVar(&v.target.ObserveCmd, "observe-cmd", "", "shell command with {eventId} (also $EVENT_ID) printing how often the event was applied")
	f.DurationVar(&v.target.Timeout, "timeout", suites.DefaultTimeout, "the sender's per-attempt timeout, as 8x8's")
	f.DurationVar(&v.target.LatencyP99, "latency-p99", suites.DefaultLatencyP99, "the p99 ack latency the receiver must keep")
	f.Float64Var(&v.target.TimeScale, "time-scale", suites.DefaultTimeScale, "multiply 8x8's retry intervals by this in the retry checks (1 is real time)")
	f.Uint64Var(&v.target.Seed, "seed", 0, "seed for the generated events (default from the clock)")
	f.StringVar(&v.labelFilter, "label-filter", suites.DefaultLabelFilter, "areas to run, in Ginkgo's label syntax, e.g. 'ack || idempotency' or 'slow'")
	f.StringVar(&v.junitReport, "junit-report", "", "write Ginkgo's JUnit XML report to this file")
	f.StringVar(&v.jsonReport, "json-report", "", "write Ginkgo's JSON report to this file")
	f.BoolVarP(&v.verbose, "verbose", "v", false, "print every check as it runs")
	return cmd
}

func (v *verifyCmd) run() error {
	if err := v.validate(); err != nil {
		return err
	}
	if v.target.URL == "" {
		srv, err := receiver.Start("127.0.0.1:0", receiver.Config{Auth: v.target.Auth})
		if err != nil {
			return fmt.Errorf("starting the reference receiver: %w", err)
		}
		defer srv.Close()
		v.target.URL = srv.URL()
		if v.target.ObserveURL == "" && v.target.ObserveCmd == "" {
			v.target.ObserveURL = srv.ObserveURL()
		}
		fmt.Fprintf(v.stderr, "clickcheck verify: no --target given: checking the built-in reference receiver at %s\n", v.target.URL)
	}
	res, err := suites.Run(v.target, suites.RunOptions{
		LabelFilter: v.labelFilter,
		JUnitReport: v.junitReport,
		JSONReport:  v.jsonReport,
		Verbose:     v.verbose,
		NoColor:     !isTerminal(os.Stdout),
	})
	if err != nil {
		return v.usage(err)
	}
	suites.PrintSummary(v.stdout, res, v.labelFilter)
	if !res.Passed {
		return errFailed
	}
	return nil
}

// validate checks the flags before anything is started or sent.
func (v *verifyCmd) validate() error {
	probe := v.target
	if probe.URL == "" {
		probe.URL = "http://127.0.0.1:1/webhooks/8x8" // the reference receiver's, once started
	}
	if err := probe.WithDefaults().Validate(); err != nil {
		return v.usage(err)
	}
	if v.target.Timeout <= 0 {
		return usagef("--timeout", "--timeout 5s", "%s: the sender timeout must be positive", v.target.Timeout)
	}
	if v.target.LatencyP99 <= 0 {
		return usagef("--latency-p99", "--latency-p99 500ms", "%s: the latency budget must be positive", v.target.LatencyP99)
	}
	if !(v.target.TimeScale > 0) {
		return usagef("--time-scale", "--time-scale 0.01", "%g: must be a positive factor, at most 1", v.target.TimeScale)
	}
	if err := suites.ValidateLabelFilter(v.labelFilter); err != nil {
		return usagef("--label-filter", "--label-filter 'ack || idempotency'", "%q does not parse: %v", v.labelFilter, err)
	}
	for flag, path := range map[string]string{"--junit-report": v.junitReport, "--json-report": v.jsonReport} {
		if path == "" {
			continue
		}
		if dir := filepath.Dir(path); !isDir(dir) {
			return usagef(flag, flag+" out/report.xml", "cannot write %q: folder %q does not exist", path, dir)
		}
	}
	return nil
}

// usage turns a suites.FieldError into a UsageError naming the flag.
func (v *verifyCmd) usage(err error) error {
	var fe *suites.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	flag := map[string]string{
		"URL": "--target", "ObserveURL": "--observe-url", "ObserveCmd": "--observe-cmd",
		"Timeout": "--timeout", "LatencyP99": "--latency-p99", "TimeScale": "--time-scale",
	}[fe.Field]
	example := fe.Example
	if flag != "" {
		example = flag + " " + fe.Example
	}
	return &UsageError{Flag: flag, Problem: fe.Problem, Example: example}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// isTerminal reports whether f is a character device, i.e. probably a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
