package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix: every flag --some-flag also reads CLICKCHECK_SOME_FLAG.
const envPrefix = "CLICKCHECK_"

// run executes clickcheck with args and returns the process exit code. It is main without
// the process: tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, errFailed) {
		fmt.Fprintf(stderr, "clickcheck: %v\n", err)
	}
	return exitCode(err)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "clickcheck",
		Short: "Test webhook receivers for 8x8's SMS click events",
		Long: `clickcheck mocks 8x8's SMS webhook sender (short_url_clicked events, delivered and
retried exactly as 8x8 does: after 1, 10, 30 and 90 seconds) so you can test a receiver
before production.

Every flag can also be set through the environment: --time-scale reads
CLICKCHECK_TIME_SCALE, --to reads CLICKCHECK_TO, and so on. A flag on the command line wins.

Exit codes: 0 success, 1 something was not delivered or did not pass, 2 bad input.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// A bare `clickcheck` prints help; an unknown subcommand is bad input.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &UsageError{Problem: fmt.Sprintf("unknown command %q", args[0]), Example: "clickcheck send --help"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd.Flags())
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newSendCmd(stdout, stderr))
	root.AddCommand(newLoadCmd(stdout, stderr))
	root.AddCommand(newVerifyCmd(stdout, stderr))
	root.AddCommand(newReceiverCmd(stdout, stderr))
	root.AddCommand(newServeCmd(stdout, stderr))
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// badFlagValue finds the flag in pflag's "invalid argument ... for "--count" flag: ...".
var badFlagValue = regexp.MustCompile(`for "(?:-\w, )?(--[\w-]+)" flag`)

// flagError makes a flag the parser refused bad input, with a valid example: the flag
// with its default value, where it has one worth showing.
func flagError(cmd *cobra.Command, err error) error {
	ue := &UsageError{Problem: err.Error(), Example: "see `" + cmd.CommandPath() + " --help`"}
	if m := badFlagValue.FindStringSubmatch(err.Error()); m != nil {
		if f := cmd.Flags().Lookup(strings.TrimPrefix(m[1], "--")); f != nil && f.DefValue != "" && f.Value.Type() != "bool" {
			ue.Example = m[1] + " " + f.DefValue
		}
	}
	return ue
}

// noArgs refuses positional arguments as bad input: every subcommand takes flags only,
// and a stray word is usually a flag value that lost its flag.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return &UsageError{Problem: fmt.Sprintf("%s takes no arguments, only flags; got %q (a flag value without its flag?)", cmd.CommandPath(), args[0]),
		Example: "see `" + cmd.CommandPath() + " --help`"}
}

// applyEnv sets every flag not given on the command line from CLICKCHECK_<FLAG>.
func applyEnv(flags *pflag.FlagSet) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if serr := flags.Set(f.Name, v); serr != nil {
			err = &UsageError{Flag: name, Problem: fmt.Sprintf("%q is not a valid value for --%s: %v", v, f.Name, serr),
				Example: fmt.Sprintf("%s=%s", name, f.DefValue)}
		}
	})
	return err
}
