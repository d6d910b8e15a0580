package suites_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/clickcheck/clickcheck/examples/receiver"
	"github.com/clickcheck/clickcheck/suites"
)

// TestConformance runs the suites with `go test` or `ginkgo`: against CLICKCHECK_TARGET
// (with CLICKCHECK_AUTH, CLICKCHECK_OBSERVE_URL, CLICKCHECK_OBSERVE_CMD) when set, else
// against the reference receiver, which must pass every check.
//
//	go test ./suites -args --ginkgo.label-filter='ack || idempotency' --ginkgo.v
func TestConformance(t *testing.T) {
	target := suites.Target{
		URL:        os.Getenv("CLICKCHECK_TARGET"),
		Auth:       os.Getenv("CLICKCHECK_AUTH"),
		ObserveURL: os.Getenv("CLICKCHECK_OBSERVE_URL"),
		ObserveCmd: os.Getenv("CLICKCHECK_OBSERVE_CMD"),
	}
	if target.URL == "" {
		// The reference receiver with auth on, so that the auth checks run too.
		target.Auth = "Bearer clickcheck-reference"
		srv, err := receiver.Start("127.0.0.1:0", receiver.Config{Auth: target.Auth})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
		}()
		target.URL, target.ObserveURL = srv.URL(), srv.ObserveURL()
	}
	RegisterFailHandler(Fail)
	suites.Register(&target)
	suite, reporter := GinkgoConfiguration()
	if suite.LabelFilter == "" {
		suite.LabelFilter = suites.DefaultLabelFilter
	}
	RunSpecs(t, "clickcheck conformance", suite, reporter)
}
