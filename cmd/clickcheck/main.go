// Command clickcheck tests webhook receivers for 8x8's SMS click events: it mocks 8x8's
// sender, retries included, and checks receivers for conformance.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
