package main

import (
	"os"
	"testing"
)

// runMainEnv makes the test binary act as clickcheck itself: tests that need a fresh
// process (Ginkgo runs specs once per process) re-execute it with this set.
const runMainEnv = "CLICKCHECK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
