// Package suites holds clickcheck's conformance checks: Ginkgo v2 specs that deliver
// events to any webhook receiver through the mock 8x8 sender and judge what a receiver
// must do to survive 8x8 in production: ack fast with a 2XX, tolerate unknown fields and
// the other SMS event types, check authorization, stay idempotent under duplicates and
// concurrent duplicates, keep its latency, survive bad input and lose nothing.
//
// Register builds the spec tree for a Target; Run runs it once per process (a Ginkgo
// limit) with explicit configs and returns a Result per conformance area. Both
// `clickcheck verify` and `go test ./suites` go through them.
package suites
