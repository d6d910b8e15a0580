package suites

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// silence makes c count the receiver as silent, as three unanswered attempts would.
func silence(t *testing.T, c *client, ev mock8x8.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range deadAfter {
		if o := c.send(ctx, ev); o.Status != 0 {
			t.Fatalf("an attempt while the receiver stalls got %d, want no answer", o.Status)
		}
	}
	if c.silence() == "" {
		t.Fatalf("after %d attempts without an answer the receiver does not count as silent", deadAfter)
	}
}

func TestClient_AReceiverThatStalledOnceAndRecoveredIsCheckedAgain(t *testing.T) {
	t.Parallel()
	var stalled atomic.Bool
	stalled.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && stalled.Load() {
			time.Sleep(300 * time.Millisecond) // past the sender's timeout
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c, err := newClient(Target{URL: srv.URL + "/webhooks/8x8", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	ev := mock8x8.NewGenerator(1, time.Now()).Next()
	silence(t, c, ev)
	stalled.Store(false)
	c.recheck(context.Background())
	if why := c.silence(); why != "" {
		t.Fatalf("the receiver answers again, but the client still says %q", why)
	}
}

func TestClient_AReceiverThatIsGoneStaysSilentAndIsAskedRarely(t *testing.T) {
	t.Parallel()
	// Accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			defer conn.Close()
		}
	}()
	c, err := newClient(Target{URL: "http://" + ln.Addr().String() + "/webhooks/8x8", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	silence(t, c, mock8x8.NewGenerator(2, time.Now()).Next())
	before := conns.Load()
	for range 5 {
		c.recheck(context.Background())
	}
	if why := c.silence(); !strings.Contains(why, "stopped answering") {
		t.Fatalf("a receiver that never answers: %q, want it still silent", why)
	}
	if n := conns.Load() - before; n > 1 {
		t.Errorf("5 rechecks in a row opened %d connections, want at most 1: a gone receiver is asked once per %s", n, probeEvery)
	}
}
