package suites

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// DefaultLabelFilter leaves out the real-time checks.
const DefaultLabelFilter = "!" + AreaSlow

// RunOptions says which checks run and where Ginkgo reports go.
type RunOptions struct {
	// LabelFilter selects areas in Ginkgo's label syntax; "" means DefaultLabelFilter.
	LabelFilter string
	// JUnitReport and JSONReport are paths for Ginkgo's own reports; "" writes none.
	JUnitReport, JSONReport string
	// Verbose prints every spec as it runs.
	Verbose bool
	// NoColor turns off colour in Ginkgo's output.
	NoColor bool
	// Timeout bounds the whole run; 0 means 5 minutes, or 10 when the slow area is selected.
	Timeout time.Duration
}

// Result is the outcome of a run, area by area.
type Result struct {
	Target   Target
	Passed   bool
	Areas    []AreaResult
	Latency  *LatencyStats
	Notes    []string
	Duration time.Duration
	Report   types.Report
}

// AreaResult counts one area's specs.
type AreaResult struct {
	Area                    string
	Passed, Failed, Skipped int
	// Failures are the failed specs' names with the first line of their messages.
	Failures []string
	// SkipReason is the reason of the first skipped spec.
	SkipReason string
}

// Status is "pass", "FAIL", "skip" or "not run".
func (a AreaResult) Status() string {
	switch {
	case a.Failed > 0:
		return "FAIL"
	case a.Passed > 0:
		return "pass"
	case a.Skipped > 0:
		return "skip"
	}
	return "not run"
}

// ErrRanBefore is returned by a second Run in one process: Ginkgo runs specs once.
var ErrRanBefore = errors.New("suites: Run was already called in this process; Ginkgo runs specs once per process, so start a new process for another run")

var ran atomic.Bool

// failRecorder is the GinkgoTestingT a binary hands to RunSpecs.
type failRecorder struct{ failed atomic.Bool }

func (f *failRecorder) Fail() { f.failed.Store(true) }

// Run validates t, registers the specs and runs them once, writing Ginkgo's output to
// stdout and its reports where opts says. Bad settings return a *FieldError before
// anything is sent.
func Run(t Target, opts RunOptions) (Result, error) {
	t = t.WithDefaults()
	if err := t.Validate(); err != nil {
		return Result{}, err
	}
	if !ran.CompareAndSwap(false, true) {
		return Result{}, ErrRanBefore
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	var report types.Report
	Register(&t)
	ginkgo.ReportAfterSuite("clickcheck summary", func(r types.Report) { report = r })

	suite, reporter := ginkgo.GinkgoConfiguration()
	suite.LabelFilter = opts.LabelFilter
	if suite.LabelFilter == "" {
		suite.LabelFilter = DefaultLabelFilter
	}
	suite.Timeout = opts.Timeout
	if suite.Timeout == 0 {
		suite.Timeout = 5 * time.Minute
		if selects(suite.LabelFilter, AreaSlow) {
			suite.Timeout = 10 * time.Minute
		}
	}
	reporter.JUnitReport, reporter.JSONReport = opts.JUnitReport, opts.JSONReport
	reporter.Verbose, reporter.NoColor = opts.Verbose, opts.NoColor
	began := time.Now()
	fails := &failRecorder{}
	passed := ginkgo.RunSpecs(fails, "clickcheck conformance", suite, reporter)
	res := summarize(t, report)
	res.Passed = passed && !fails.failed.Load()
	res.Duration = time.Since(began)
	return res, nil
}

// selects reports whether a label filter can select specs labelled area.
func selects(filter, area string) bool {
	q, err := types.ParseLabelFilter(filter)
	return err == nil && q([]string{area})
}

// ValidateLabelFilter reports, in one line, a filter Ginkgo cannot parse.
func ValidateLabelFilter(filter string) error {
	_, err := types.ParseLabelFilter(filter)
	var ge types.GinkgoError
	if errors.As(err, &ge) {
		return errors.New(strings.Join(strings.Fields(ge.Message), " "))
	}
	return err
}

// summarize turns Ginkgo's report into per-area results.
func summarize(t Target, report types.Report) Result {
	res := Result{Target: t, Report: report}
	byArea := map[string]*AreaResult{}
	for _, a := range Areas {
		byArea[a] = &AreaResult{Area: a}
	}
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			if spec.State.Is(types.SpecStateFailureStates) {
				res.Notes = append(res.Notes, fmt.Sprintf("%s failed: %s", spec.LeafNodeType, firstLine(spec.Failure.Message)))
			}
			continue
		}
		area := areaOf(spec.Labels())
		ar := byArea[area]
		if ar == nil {
			continue
		}
		switch {
		case spec.State == types.SpecStatePassed:
			ar.Passed++
		case spec.State.Is(types.SpecStateFailureStates):
			ar.Failed++
			ar.Failures = append(ar.Failures, spec.LeafNodeText+": "+firstLine(spec.Failure.Message))
		case spec.State == types.SpecStateSkipped || spec.State == types.SpecStatePending:
			ar.Skipped++
			if ar.SkipReason == "" {
				ar.SkipReason = firstLine(spec.Failure.Message)
			}
		}
		for _, e := range spec.ReportEntries {
			switch e.Name {
			case latencyEntry:
				if s, ok := e.GetRawValue().(LatencyStats); ok {
					res.Latency = &s
				}
			case "robustness note":
				res.Notes = append(res.Notes, e.StringRepresentation())
			}
		}
	}
	for _, a := range Areas {
		res.Areas = append(res.Areas, *byArea[a])
	}
	return res
}

func areaOf(labels []string) string {
	for _, l := range labels {
		if slices.Contains(Areas, l) {
			return l
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// PrintSummary writes the one-screen verdict verify prints after Ginkgo's output.
func PrintSummary(w io.Writer, res Result, filter string) {
	t := res.Target
	observer := "none (checks of what was applied are skipped)"
	if o := newObserver(t); o != nil {
		observer = o.Describe()
	}
	fmt.Fprintf(w, "\nclickcheck verify: %s\n", t.URL)
	fmt.Fprintf(w, "  sender timeout %s, retries at time scale %g, p99 budget %s, observer %s\n", t.Timeout, t.TimeScale, t.LatencyP99, observer)
	for _, a := range res.Areas {
		detail := ""
		switch a.Status() {
		case "pass":
			detail = fmt.Sprintf("%d/%d", a.Passed, a.Passed+a.Skipped)
			if a.Area == AreaLatency && res.Latency != nil {
				detail = res.Latency.String()
			}
			if a.Skipped > 0 {
				detail += fmt.Sprintf("; %d skipped: %s", a.Skipped, a.SkipReason)
			}
		case "FAIL":
			detail = fmt.Sprintf("%d of %d failed: %s", a.Failed, a.Passed+a.Failed, a.Failures[0])
			if a.Area == AreaLatency && res.Latency != nil {
				detail = res.Latency.String() + "; " + a.Failures[0]
			}
		case "skip":
			detail = a.SkipReason
			if detail == "" {
				detail = "not selected by --label-filter " + strconv.Quote(filter)
			}
		case "not run":
			detail = "not selected by --label-filter " + filter
		}
		fmt.Fprintf(w, "  %-12s %-5s %s\n", a.Area, a.Status(), excerpt(detail, 240))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	verdict := "PASS"
	if !res.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "verdict: %s in %s\n", verdict, res.Duration.Round(100*time.Millisecond))
}
