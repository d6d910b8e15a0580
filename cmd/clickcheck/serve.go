package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// serveCmd holds `clickcheck serve`'s flags.
type serveCmd struct {
	stdout, stderr io.Writer

	listen, db, apiKey, userAgent string
	timeout                       time.Duration
	timeScale                     float64
	fromFirst                     bool
	concurrency                   int
}

// serveStopTimeout bounds a graceful stop: attempts in flight get this long to finish
// and be stored, so SIGTERM always exits within 5 s.
const serveStopTimeout = 4 * time.Second

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	s := &serveCmd{stdout: stdout, stderr: stderr}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run a long-running mock 8x8: configuration API, control API, dashboard, metrics",
		Long: `serve runs a local 8x8 for day-to-day development. Register webhooks through the same
Webhooks Configuration API as 8x8's (POST/GET/DELETE /api/v1/accounts/{accountId}/webhooks),
then send clicks through the control API (POST /v1/clicks, /v1/events, /v1/stream) or the
dashboard at /. Every event goes to every enabled webhook with its own httpAuthorization or
OAuth token, and failures are retried after 1, 10, 30 and 90 s (times --time-scale).
/metrics serves Prometheus metrics.

With --db the state (webhooks, events, every attempt, pending retries) is written to that
SQLite file before it is acted on: after a crash or kill -9, serve on the same --db resumes
every pending retry at its due time. Without --db everything is in memory.

It listens on loopback unless told otherwise; any other address needs --api-key, which
then guards the control API and the dashboard too. SIGTERM or Ctrl-C stops it within 5 s:
attempts in flight finish or stay pending for the next start.`,
		Example: `  clickcheck serve
  clickcheck serve --api-key k --db mock8x8.db --time-scale 0.1
  curl -X POST -H 'Authorization: Bearer k' localhost:8808/api/v1/accounts/0a1b2c3d4e5f60718293a4b5c6d7e8f9/webhooks \
       -d '[{"subAccountId":"*","url":"http://127.0.0.1:8080/webhooks/8x8"}]'
  curl -X POST -H 'Authorization: Bearer k' localhost:8808/v1/clicks -d '{"count":10}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return s.run(cmd.Context()) },
	}
	f := cmd.Flags()
	f.StringVar(&s.listen, "listen", "127.0.0.1:8808", "address to listen on, host:port; a non-loopback host needs --api-key")
	f.StringVar(&s.db, "db", "", "SQLite file to keep the state in, created if missing; a restart on it resumes pending retries (default in memory)")
	f.StringVar(&s.apiKey, "api-key", "", `key the configuration API, control API and dashboard require as "Authorization: Bearer <key>"`)
	f.DurationVar(&s.timeout, "timeout", mock8x8.DefaultTimeout, "per-attempt timeout")
	f.Float64Var(&s.timeScale, "time-scale", 1, "multiply every retry interval by this factor (0.1: retries after 0.1, 1, 3 and 9 s)")
	f.BoolVar(&s.fromFirst, "from-first-attempt", false, "count retry intervals from the first attempt's start instead of the previous attempt's end")
	f.IntVar(&s.concurrency, "concurrency", mock8x8.DefaultConcurrency, "attempts in flight at once, per webhook")
	f.StringVar(&s.userAgent, "user-agent", mock8x8.DefaultUserAgent, "User-Agent header of webhook requests")
	return cmd
}

func (s *serveCmd) validate() error {
	host, _, err := net.SplitHostPort(s.listen)
	switch {
	case err != nil:
		return usagef("--listen", "--listen 127.0.0.1:8808", "%q is not a host:port address", s.listen)
	case !isLoopback(host) && s.apiKey == "":
		return usagef("--api-key", "--listen "+s.listen+" --api-key \"$(openssl rand -hex 16)\"",
			"listening on %q, beyond this machine, needs an API key: without one anybody who can reach it could configure webhooks and send requests from it", s.listen)
	case s.timeout <= 0:
		return usagef("--timeout", "--timeout 5s", "%s: the per-attempt timeout must be positive", s.timeout)
	case !(s.timeScale > 0) || s.timeScale > 1000:
		return usagef("--time-scale", "--time-scale 0.1", "%g: must be a positive factor (1 is real time) no larger than 1000", s.timeScale)
	case s.concurrency < 1:
		return usagef("--concurrency", "--concurrency 16", "%d: give 1 or more attempts in flight per webhook", s.concurrency)
	}
	return nil
}

// isLoopback reports whether a listen host stays on this machine. An empty host listens
// on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *serveCmd) run(ctx context.Context) error {
	if err := s.validate(); err != nil {
		return err
	}
	// Listen before opening the database: a taken port creates no database file.
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return usagef("--listen", "--listen 127.0.0.1:8808", "cannot listen on %q: %v", s.listen, listenProblem(err))
	}
	defer ln.Close()
	st, err := store.Open(s.db)
	if err != nil {
		return usagef("--db", "--db mock8x8.db", "%v", errors.Unwrap(err))
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sched := mock8x8.DefaultSchedule().Scaled(s.timeScale)
	sched.FromFirstAttempt = s.fromFirst
	srv, err := server.New(server.Config{
		Store: st, APIKey: s.apiKey, Schedule: sched, Timeout: s.timeout,
		Concurrency: s.concurrency, UserAgent: s.userAgent, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	where := "in memory"
	if s.db != "" {
		where = s.db
	}
	fmt.Fprintf(s.stderr, "clickcheck serve: http://%s/ (dashboard), state %s, retries at time scale %g, API key %s\n",
		ln.Addr(), where, s.timeScale, map[bool]string{true: "required", false: "not required (loopback only)"}[s.apiKey != ""])

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveStopTimeout)
	defer cancel()
	// Stop taking requests first, so nothing new is stored while the engines wind down.
	_ = hs.Shutdown(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("stopped with attempts in flight; they are repeated on the next start with the same --db", "error", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}
