package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/load"
)

// loadCmd holds `clickcheck load`'s flags.
type loadCmd struct {
	stdout, stderr io.Writer

	deliveryFlags
	profile, reportJSON, reportHTML, cpuProfile string
	rate, rampFrom, maxErrorRate                float64
	duration, rampOver, halfLife, drain, maxP99 time.Duration
	connections                                 int
	seed                                        uint64
	quiet                                       bool
	progressEvery                               time.Duration // off a terminal; zero means progressEveryOffTerminal
}

var profiles = []string{"constant", "ramp", "campaign"}

func newLoadCmd(stdout, stderr io.Writer) *cobra.Command {
	l := &loadCmd{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "load --to URL --rate R --duration D [flags]",
		Short: "Open-model load with unique generated clicks, real retries and honest latency",
		Long: `load sends unique, realistic short_url_clicked events at a target arrival rate for a
duration, whether or not the receiver keeps up (an open model), and measures each attempt's
latency from when it was due, so a receiver that stalls shows in every percentile.
Failed attempts are retried on 8x8's schedule (1, 10, 30, 90 s, scaled by --time-scale);
after --duration the pending retries drain, and the report accounts for every event:
events = delivered + exhausted + rejected + pending.

Profiles:
  constant  --rate events per second (the default)
  ramp      from --ramp-from to --rate, linearly over --ramp-over (default: the duration)
  campaign  an SMS blast: clicks spike to --rate and decay by half every --half-life
--rate 0 sends as fast as possible: --connections workers, each sending its next event as
soon as the last is answered (a closed loop; latency then counts from the actual send).

Thresholds for CI: --max-p99 and --max-error-rate (the share of attempts that were not
acknowledged with a 2XX). Exit codes: 0 done (and thresholds kept), 1 a threshold missed or the run interrupted,
2 bad input.`,
		Example: `  clickcheck load --to http://127.0.0.1:8080/webhooks/8x8 --rate 500 --duration 30s
  clickcheck load --to http://127.0.0.1:8080/webhooks/8x8 --profile campaign --rate 2000 --half-life 20s --duration 1m --report-html report.html
  clickcheck load --to http://127.0.0.1:8080/webhooks/8x8 --rate 0 --duration 10s --max-p99 200ms --max-error-rate 0.001`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return l.run(cmd.Context(), cmd) },
	}
	f := cmd.Flags()
	l.deliveryFlags.register(f)
	f.Float64Var(&l.rate, "rate", 100, "events per second (the peak for campaign, the final rate for ramp); 0 means as fast as possible")
	f.DurationVar(&l.duration, "duration", 10*time.Second, "how long to generate events; pending retries then drain")
	f.StringVar(&l.profile, "profile", "constant", "arrival profile: "+strings.Join(profiles, ", "))
	f.Float64Var(&l.rampFrom, "ramp-from", 0, "ramp: the starting rate in events per second")
	f.DurationVar(&l.rampOver, "ramp-over", 0, "ramp: how long the rate takes to reach --rate (default the whole duration)")
	f.DurationVar(&l.halfLife, "half-life", 0, "campaign: how long the click rate takes to halve (default a quarter of the duration)")
	f.IntVar(&l.connections, "connections", load.DefaultConnections, "first attempts in flight at once (retries get as many again)")
	f.Uint64Var(&l.seed, "seed", 0, "generator seed; the same seed sends the same events (default random, printed)")
	f.DurationVar(&l.drain, "drain", 0, "longest wait for pending retries after the attack (default the full retry horizon); a negative value skips it")
	f.StringVar(&l.reportJSON, "report-json", "", "write the report as JSON to this file")
	f.StringVar(&l.reportHTML, "report-html", "", "write a self-contained HTML report with charts to this file")
	f.DurationVar(&l.maxP99, "max-p99", 0, "fail (exit 1) when the p99 latency is above this, e.g. 250ms")
	f.Float64Var(&l.maxErrorRate, "max-error-rate", -1, "fail (exit 1) when more than this share of attempts is not acknowledged (events never sent count too), e.g. 0.01")
	f.BoolVar(&l.quiet, "quiet", false, "no progress on stderr")
	f.StringVar(&l.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the run to this file (for `go tool pprof`)")
	_ = f.MarkHidden("cpu-profile")
	return cmd
}

func (l *loadCmd) run(ctx context.Context, cmd *cobra.Command) error {
	prof, err := l.validate(cmd)
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("seed") && os.Getenv(envPrefix+"SEED") == "" {
		l.seed = randomSeed()
	}
	scfg := l.senderConfig(l.to)
	// fasthttp: the same requests at about half the CPU, so the generator, not the
	// sender, sets the pace. First attempts and retries each get --connections.
	scfg.Fast, scfg.MaxConns = true, 2*l.connections
	sender, err := mock8x8.NewSender(scfg)
	if err != nil {
		return &UsageError{Problem: err.Error(), Example: "see `clickcheck load --help`"}
	}
	defer sender.Close()
	// Report files are created before the run, so a bad path fails fast, not after it.
	jsonFile, err := createReport("--report-json", l.reportJSON)
	if err != nil {
		return err
	}
	htmlFile, err := createReport("--report-html", l.reportHTML)
	if err != nil {
		return err
	}
	if l.cpuProfile != "" {
		f, err := os.Create(l.cpuProfile)
		if err != nil {
			return usagef("--cpu-profile", "--cpu-profile cpu.out", "%v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	run, err := load.Start(ctx, load.Config{
		Sender:      sender,
		Profile:     prof,
		Duration:    l.duration,
		Connections: l.connections,
		Seed:        l.seed,
		Schedule:    l.schedule(),
		Drain:       l.drain,
	})
	if err != nil {
		return err
	}
	if !l.quiet {
		desc := "as fast as possible"
		if prof != nil {
			desc = prof.String()
		}
		fmt.Fprintf(l.stderr, "clickcheck load: %s for %s to %s (seed %d, %d connections)\n", desc, l.duration, sender.URL(), l.seed, l.connections)
		l.showProgress(run)
	} else {
		<-run.Done()
	}
	rep := run.Report()
	l.checkThresholds(rep)
	if err := rep.WriteText(l.stdout); err != nil {
		return err
	}
	if err := writeReport(jsonFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}); err != nil {
		return err
	}
	if err := writeReport(htmlFile, rep.WriteHTML); err != nil {
		return err
	}
	for _, t := range rep.Thresholds {
		if !t.Passed {
			return errFailed
		}
	}
	if rep.Interrupted {
		return errFailed // a run cut short proves less than it was asked to: not a pass for CI
	}
	return nil
}

// validate checks every flag before anything is sent and returns the arrival profile
// (nil for as fast as possible).
func (l *loadCmd) validate(cmd *cobra.Command) (load.Profile, error) {
	switch {
	case l.to == "":
		return nil, usagef("--to", exampleTo, "is required: the receiver's webhook URL")
	case !(l.rate >= 0) || l.rate > 1e7:
		return nil, usagef("--rate", "--rate 500", "%g: give events per second, 0 or more (0 is as fast as possible)", l.rate)
	case l.duration <= 0:
		return nil, usagef("--duration", "--duration 30s", "%s: the run needs a positive duration", l.duration)
	case l.connections < 1 || l.connections > 100000:
		return nil, usagef("--connections", "--connections 50", "%d: need between 1 and 100000 connections", l.connections)
	case !contains(profiles, l.profile):
		return nil, usagef("--profile", "--profile campaign", "%q is not a profile; use one of %s", l.profile, strings.Join(profiles, ", "))
	case l.maxP99 < 0:
		return nil, usagef("--max-p99", "--max-p99 250ms", "%s is negative", l.maxP99)
	case cmd.Flags().Changed("max-error-rate") && !(l.maxErrorRate >= 0 && l.maxErrorRate <= 1):
		return nil, usagef("--max-error-rate", "--max-error-rate 0.01", "%g: give a share of attempts between 0 and 1", l.maxErrorRate)
	case l.rampFrom < 0:
		return nil, usagef("--ramp-from", "--ramp-from 10", "%g is negative", l.rampFrom)
	case l.rampOver < 0:
		return nil, usagef("--ramp-over", "--ramp-over 30s", "%s is negative", l.rampOver)
	case l.halfLife < 0:
		return nil, usagef("--half-life", "--half-life 20s", "%s is negative", l.halfLife)
	}
	if err := l.deliveryFlags.validate(); err != nil {
		return nil, err
	}
	flags := cmd.Flags()
	for _, f := range []struct{ name, profile string }{{"ramp-from", "ramp"}, {"ramp-over", "ramp"}, {"half-life", "campaign"}} {
		if flags.Changed(f.name) && l.profile != f.profile {
			return nil, usagef("--"+f.name, "--profile "+f.profile+" --"+f.name+" ...", "applies only to --profile %s, not %s", f.profile, l.profile)
		}
	}
	if l.rate == 0 {
		if l.profile != "constant" {
			return nil, usagef("--rate", "--profile "+l.profile+" --rate 1000", "0 (as fast as possible) has no %s profile; give the rate", l.profile)
		}
		return nil, nil
	}
	switch l.profile {
	case "ramp":
		over := l.rampOver
		if over == 0 {
			over = l.duration
		}
		return load.Ramp{From: l.rampFrom, To: l.rate, Over: over}, nil
	case "campaign":
		h := l.halfLife
		if h == 0 {
			h = l.duration / 4
		}
		return load.Campaign{Peak: l.rate, HalfLife: h}, nil
	default:
		return load.Constant{PerSecond: l.rate}, nil
	}
}

// checkThresholds adds the CI limits that were set to the report.
func (l *loadCmd) checkThresholds(rep *load.Report) {
	if l.maxP99 > 0 {
		limit := float64(l.maxP99) / float64(time.Millisecond)
		rep.Thresholds = append(rep.Thresholds, load.Threshold{
			Name: "max-p99 (ms)", Limit: limit, Actual: rep.LatencyMs.P99, Passed: rep.LatencyMs.P99 <= limit,
		})
	}
	if l.maxErrorRate >= 0 {
		// An event the receiver's stall kept from being sent at all counts as an attempt
		// not acknowledged: otherwise a stall would lower the error rate.
		rate := 0.0
		if all := rep.Attempts + rep.Missed; all > 0 {
			var ok int64
			for code, n := range rep.Status {
				if len(code) == 3 && code[0] == '2' {
					ok += n
				}
			}
			rate = float64(all-ok) / float64(all)
		}
		rep.Thresholds = append(rep.Thresholds, load.Threshold{
			Name: "max-error-rate", Limit: l.maxErrorRate, Actual: rate, Passed: rate <= l.maxErrorRate,
		})
	}
}

// progressEveryOffTerminal is how often progress is printed when stderr is not a terminal.
const progressEveryOffTerminal = 5 * time.Second

// showProgress reports the run until it is done: a live line on a terminal, one line
// every 5 s otherwise (CI logs).
func (l *loadCmd) showProgress(run *load.Run) {
	if f, ok := l.stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		l.liveProgress(run, f)
		return
	}
	every := l.progressEvery
	if every == 0 {
		every = progressEveryOffTerminal
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-run.Done():
			return
		case <-tick.C:
			fmt.Fprintf(l.stderr, "  %s\n", describeSnapshot(run.Snapshot()))
		}
	}
}

func (l *loadCmd) liveProgress(run *load.Run, w io.Writer) {
	total := l.duration.Milliseconds()
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(20),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-run.Done():
			_ = bar.Finish()
			return
		case <-tick.C:
			s := run.Snapshot()
			bar.Describe(describeSnapshot(s))
			// Held short of full while retries drain: a full bar finishes and stops drawing.
			_ = bar.Set64(min(s.Elapsed.Milliseconds(), total-1))
		}
	}
}

// describeSnapshot is one progress line: elapsed, sent, acked, in flight, pending retries
// and the p99 of the last complete second.
func describeSnapshot(s load.Snapshot) string {
	p99 := "-"
	if s.HaveP99 {
		p99 = s.P99.Round(10 * time.Microsecond).String()
	}
	return fmt.Sprintf("%s %s: sent %d, acked %d, in flight %d, pending retries %d, p99 %s",
		s.Phase, s.Elapsed.Round(time.Second), s.Sent, s.Stats.Delivered, s.InFlight, s.PendingRetries, p99)
}

// createReport creates a report file named by flag, or returns nil when none was asked for.
func createReport(flag, path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usagef(flag, flag+" report.out", "cannot create the report file: %v", err)
	}
	return f, nil
}

// writeReport writes a report into f (if any) and closes it.
func writeReport(f *os.File, write func(io.Writer) error) error {
	if f == nil {
		return nil
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Close()
}
