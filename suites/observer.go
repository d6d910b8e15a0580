package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Observer tells how many times the receiver applied an event: the side effect acks
// alone cannot show (DESIGN.md, "The observe protocol").
type Observer interface {
	// Count returns how many times the event was applied; 0 when never.
	Count(ctx context.Context, eventID string) (int, error)
	// Describe names the observer in messages.
	Describe() string
}

// newObserver returns the Target's observer, or nil when it has none.
func newObserver(t Target) Observer {
	switch {
	case t.ObserveURL != "":
		return &urlObserver{template: t.ObserveURL, client: &http.Client{Timeout: t.Timeout}}
	case t.ObserveCmd != "":
		return &cmdObserver{command: t.ObserveCmd, timeout: t.Timeout}
	}
	return nil
}

// urlObserver GETs a URL template: 200 with {"count": n}, 404 for 0.
type urlObserver struct {
	template string
	client   *http.Client
}

func (o *urlObserver) Describe() string { return "GET " + o.template }

func (o *urlObserver) Count(ctx context.Context, eventID string) (int, error) {
	u := strings.ReplaceAll(o.template, "{eventId}", url.PathEscape(eventID))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("observe %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusNotFound:
		return 0, nil
	case http.StatusOK:
		var v struct {
			Count *json.Number `json:"count"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Count == nil {
			return 0, fmt.Errorf("observe %s: 200 without a JSON integer field \"count\": %s", u, excerpt(string(body), 120))
		}
		n, err := strconv.Atoi(v.Count.String())
		if err != nil {
			return 0, fmt.Errorf("observe %s: count %s is not an integer", u, v.Count)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("observe %s: answered %d, want 200 with {\"count\": n} or 404: %s", u, resp.StatusCode, excerpt(string(body), 120))
	}
}

// cmdObserver runs a shell command whose stdout is the count.
type cmdObserver struct {
	command string
	timeout time.Duration
}

func (o *cmdObserver) Describe() string { return "sh -c " + strconv.Quote(o.command) }

func (o *cmdObserver) Count(ctx context.Context, eventID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", strings.ReplaceAll(o.command, "{eventId}", eventID))
	cmd.Env = append(os.Environ(), "EVENT_ID="+eventID)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("observe command for %s failed (%v): %s", eventID, err, excerpt(stderr.String(), 200))
	}
	out := strings.TrimSpace(stdout.String())
	if out == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(out)
	if err != nil {
		return 0, fmt.Errorf("observe command for %s printed %q, want an integer count", eventID, excerpt(out, 80))
	}
	return n, nil
}

// settle polls an event's count until it stops changing: effects may be applied
// asynchronously after the ack. It waits up to wait for the count to reach at least
// want, then for quiet with no change.
func settle(ctx context.Context, o Observer, id string, want int, wait, quiet time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	last, err := o.Count(ctx, id)
	if err != nil {
		return 0, err
	}
	stableSince := time.Now()
	for {
		if last >= want && time.Since(stableSince) >= quiet {
			return last, nil
		}
		if time.Now().After(deadline) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(15 * time.Millisecond):
		}
		n, err := o.Count(ctx, id)
		if err != nil {
			return 0, err
		}
		if n != last {
			last, stableSince = n, time.Now()
		}
	}
}

// settleAll settles many events at once: it counts them all in rounds until two rounds
// a quiet period apart agree and every count reached want, or wait runs out.
func settleAll(ctx context.Context, o Observer, ids []string, want int, wait, quiet time.Duration) (map[string]int, error) {
	deadline := time.Now().Add(wait)
	prev, err := countAll(ctx, o, ids)
	if err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return prev, ctx.Err()
		case <-time.After(quiet):
		}
		cur, err := countAll(ctx, o, ids)
		if err != nil {
			return nil, err
		}
		settled := true
		for _, id := range ids {
			if cur[id] != prev[id] || cur[id] < want {
				settled = false
				break
			}
		}
		if settled || time.Now().After(deadline) {
			return cur, nil
		}
		prev = cur
	}
}

// countAll counts every id once, 16 at a time.
func countAll(ctx context.Context, o Observer, ids []string) (map[string]int, error) {
	counts := make(map[string]int, len(ids))
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range work {
				n, err := o.Count(ctx, id)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				counts[id] = n
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return counts, firstErr
}

// excerpt shortens s for a message.
func excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 { // keep whole UTF-8 characters
		cut--
	}
	return s[:cut] + "…"
}
