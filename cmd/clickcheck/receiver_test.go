package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/examples/receiver"
	"github.com/clickcheck/clickcheck/mock8x8"
)

// syncBuffer is a bytes.Buffer a running command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningLine = regexp.MustCompile(`^clickcheck receiver: listening on (http://\S+/webhooks/8x8) \(observe: (http://\S+/observed/\{eventId\})\)\n`)

func TestReceiverCmd_ServesUntilCancelledThenExits0(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "clicks.db")
	var stdout, stderr syncBuffer
	root := newRootCmd(&stdout, &stderr)
	root.SetArgs([]string{"receiver", "--listen", "127.0.0.1:0", "--db", db, "--auth", "Bearer s3cret"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { exited <- exitCode(root.ExecuteContext(ctx)) }()

	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no listening line on stderr within 10s: %q", stderr.String())
		}
		m = listeningLine.FindStringSubmatch(stderr.String())
	}
	url, observe := m[1], m[2]

	snd, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: url, Authorization: "Bearer s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	ev := mock8x8.NewGenerator(5, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)).Next()
	for range 2 {
		if o := snd.Send(ctx, ev); o.Status != http.StatusOK {
			t.Fatalf("delivery: status %d error %q (%s), want 200", o.Status, o.Error, o.Message)
		}
	}
	resp, err := http.Get(strings.Replace(observe, "{eventId}", ev.ID, 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("observe: %d, want 200", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-exited:
		if code != exitOK {
			t.Fatalf("exit %d after cancellation, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after cancellation")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("still answering after exit")
	}
	r, err := receiver.Open(receiver.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := r.Count(context.Background(), ev.ID); n != 1 || err != nil {
		t.Errorf("--db holds the click %d times (%v), want 1", n, err)
	}
}

func TestReceiverCmd_BadInputExits2WithOneLineNamingTheFlag(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() }) // not defer: the parallel subtests run after this function returns
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"no_port", []string{"--listen", "localhost"}, "--listen"},
		{"bad_port", []string{"--listen", "127.0.0.1:99999"}, "--listen"},
		{"port_in_use", []string{"--listen", taken.Addr().String()}, "--listen"},
		{"db_dir_missing", []string{"--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "missing", "clicks.db")}, "--db"},
		{"db_is_a_directory", []string{"--listen", "127.0.0.1:0", "--db", dir}, "--db"},
		{"unknown_flag", []string{"--port", "8080"}, "--port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectBadInput(t, append([]string{"receiver"}, tt.args...), tt.flag)
		})
	}
}

func TestReceiverCmd_FlagsFromEnvironment(t *testing.T) {
	t.Setenv("CLICKCHECK_DB", filepath.Join(t.TempDir(), "missing", "clicks.db"))
	code, _, stderr := runCLI(t, "receiver", "--listen", "127.0.0.1:0")
	if code != exitBadUsage || !strings.Contains(stderr, "--db") {
		t.Errorf("exit %d, stderr %q: want 2 naming --db, set through CLICKCHECK_DB", code, stderr)
	}
}
