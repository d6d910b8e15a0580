package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/clickcheck/clickcheck/examples/receiver"
)

// receiverCmd holds `clickcheck receiver`'s flags.
type receiverCmd struct {
	stdout, stderr   io.Writer
	listen, db, auth string
}

// shutdownTimeout is how long requests in flight get to finish once the receiver is told
// to stop.
const shutdownTimeout = 5 * time.Second

const exampleListen = "--listen 127.0.0.1:8080"

func newReceiverCmd(stdout, stderr io.Writer) *cobra.Command {
	rc := &receiverCmd{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "receiver [flags]",
		Short: "Run the reference receiver: a correct 8x8 SMS webhook receiver",
		Long: `receiver runs clickcheck's reference receiver (examples/receiver), a correct receiver for
8x8's SMS webhooks: it acks every event with 200 at once, stores each short_url_clicked
event exactly once by its eventId (a duplicate is acked too), acks the other SMS event
types without storing them, and answers 400 only to bodies no retry can fix.

It serves POST /webhooks/8x8, GET /observed/{eventId} (how many times a click was applied,
for clickcheck verify --observe-url) and GET /healthz, until interrupted (Ctrl-C or
SIGTERM); then it lets requests in flight finish and exits 0. With --db the clicks are
in that file's clicks table, keyed by event_id, for sqlite3 or verify --observe-cmd.`,
		Example: `  clickcheck receiver
  clickcheck receiver --listen 127.0.0.1:9000 --db clicks.db --auth "Bearer 9QQhlsEb8VY"
  clickcheck verify --target http://127.0.0.1:8080/webhooks/8x8 --observe-url 'http://127.0.0.1:8080/observed/{eventId}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return rc.run(cmd.Context()) },
	}
	f := cmd.Flags()
	f.StringVar(&rc.listen, "listen", "127.0.0.1:8080", "address to listen on, host:port (port 0 picks a free one)")
	f.StringVar(&rc.db, "db", "", "SQLite database file to store clicks in, created if missing (default in memory, lost on exit)")
	f.StringVar(&rc.auth, "auth", "", `Authorization header value every webhook must carry, as configured at 8x8, e.g. "Bearer 9QQhlsEb8VY"`)
	return cmd
}

func (rc *receiverCmd) run(ctx context.Context) error {
	if _, _, err := net.SplitHostPort(rc.listen); err != nil {
		return usagef("--listen", exampleListen, "%q is not a host:port address", rc.listen)
	}
	// Listen before opening the database: a taken port creates no database file.
	ln, err := net.Listen("tcp", rc.listen)
	if err != nil {
		return usagef("--listen", exampleListen, "cannot listen on %q: %v", rc.listen, listenProblem(err))
	}
	log := slog.New(slog.NewTextHandler(rc.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	recv, err := receiver.Open(receiver.Config{DB: rc.db, Auth: rc.auth, Logger: log})
	if err != nil {
		ln.Close()
		return usagef("--db", "--db clicks.db", "cannot use %q as a SQLite database: %v (is it a file in an existing, writable directory?)", rc.db, errors.Unwrap(err))
	}
	srv := receiver.Serve(ln, recv)
	fmt.Fprintf(rc.stderr, "clickcheck receiver: listening on %s (observe: %s)\n", srv.URL(), srv.ObserveURL())

	select {
	case <-ctx.Done():
	case <-srv.Done(): // the listener failed: Shutdown reports why
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	return nil
}

// listenProblem is the cause of a net.Listen failure without the repeated "listen tcp ADDR:".
func listenProblem(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
