package main

import (
	"errors"
	"fmt"
)

// Exit codes, the contract scripts and CI rely on.
const (
	exitOK       = 0 // everything delivered / passed
	exitFailed   = 1 // something was not delivered / did not pass
	exitBadUsage = 2 // bad input: nothing was attempted
)

// UsageError is bad input from the user: it maps to exit 2 and prints as one line naming
// the flag, what is wrong, and a valid example.
type UsageError struct {
	Flag    string // e.g. "--to"; empty when no single flag is at fault
	Problem string // what is wrong, e.g. `"ftp://x" is not an http or https URL`
	Example string // a valid use, e.g. "--to http://127.0.0.1:8080/webhooks/8x8"
}

func (e *UsageError) Error() string {
	msg := e.Problem
	if e.Flag != "" {
		msg = e.Flag + ": " + msg
	}
	if e.Example != "" {
		msg += "; e.g. " + e.Example
	}
	return msg
}

// usagef builds a UsageError for flag.
func usagef(flag, example, format string, args ...any) *UsageError {
	return &UsageError{Flag: flag, Problem: fmt.Sprintf(format, args...), Example: example}
}

// errFailed reports a run that finished but did not fully succeed; its details were
// already printed, so it carries no message of its own.
var errFailed = errors.New("not everything succeeded")

// exitCode maps an error returned by a command to the process's exit code.
func exitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitBadUsage
	default:
		return exitFailed
	}
}
