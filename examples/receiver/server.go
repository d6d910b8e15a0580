package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a Receiver serving HTTP on a listener, as `clickcheck receiver` and
// `clickcheck verify` run it.
type Server struct {
	recv *Receiver
	srv  *http.Server
	base string // http://host:port

	done     chan struct{}
	err      error // why Serve stopped, when not because of Shutdown or Close
	closeErr error
	once     sync.Once
}

// Start opens a Receiver with cfg and serves it on addr (e.g. "127.0.0.1:8080", or
// "127.0.0.1:0" for a free port) until Shutdown or Close.
func Start(addr string, cfg Config) (*Server, error) {
	r, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("receiver: %w", err)
	}
	return Serve(ln, r), nil
}

// Serve serves r on ln in the background. The Server owns both: Shutdown and Close
// close the listener, then the Receiver.
func Serve(ln net.Listener, r *Receiver) *Server {
	s := &Server{
		recv: r,
		srv: &http.Server{
			Handler:           r.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		base: "http://" + dialable(ln.Addr()),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	return s
}

// dialable is addr as a client can reach it: an unspecified host (":8080", "0.0.0.0",
// "[::]") becomes 127.0.0.1.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// URL is the webhook URL to configure at 8x8 (or give to `clickcheck send --to`).
func (s *Server) URL() string { return s.base + WebhookPath }

// ObserveURL is the observe-protocol URL template, with the literal {eventId} for
// `clickcheck verify --observe-url`.
func (s *Server) ObserveURL() string { return s.base + ObservePath }

// ObserveURLFor is the observe URL of one event.
func (s *Server) ObserveURLFor(eventID string) string {
	return s.base + strings.Replace(ObservePath, "{eventId}", url.PathEscape(eventID), 1)
}

// Receiver is the Receiver being served.
func (s *Server) Receiver() *Receiver { return s.recv }

// Done is closed when the server has stopped serving: after Shutdown or Close, or when
// the listener failed (then Shutdown reports why).
func (s *Server) Done() <-chan struct{} { return s.done }

// Shutdown stops accepting connections, waits for requests in flight to be answered
// (until ctx ends, then cuts them), and closes the Receiver. It returns the first error,
// including why serving stopped if the listener failed.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return s.finish(err)
}

// Close stops the server at once, cutting requests in flight, and closes the Receiver.
func (s *Server) Close() error { return s.finish(s.srv.Close()) }

// finish waits for Serve to return and closes the Receiver once.
func (s *Server) finish(err error) error {
	<-s.done
	s.once.Do(func() { s.closeErr = s.recv.Close() })
	return errors.Join(s.err, err, s.closeErr)
}
