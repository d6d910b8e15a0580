package suites

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clickcheck/clickcheck/mock8x8"
)

// deadAfter is how many attempts in a row may get no answer at all before the suites
// stop sending: load on a receiver that already fails to answer proves nothing and only
// makes the run slow.
const deadAfter = 3

// probeEvery spaces the checks of whether a receiver counted as silent answers again.
const probeEvery = 5 * time.Second

// client delivers events to the target exactly as 8x8 would, through mock8x8.Sender,
// and notices when the receiver has stopped answering.
type client struct {
	target Target
	sender *mock8x8.Sender

	probe *http.Client // asks a silent receiver whether it answers again

	mu       sync.Mutex
	silent   int             // attempts in a row without any answer
	lastMiss mock8x8.Outcome // the last of them
	probed   time.Time       // when recheck last asked
}

func newClient(t Target) (*client, error) {
	s, err := mock8x8.NewSender(mock8x8.SenderConfig{URL: t.URL, Timeout: t.Timeout, Authorization: t.Auth})
	if err != nil {
		return nil, err
	}
	probe := &http.Client{
		Timeout:       min(t.Timeout, 2*time.Second),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &client{target: t, sender: s, probe: probe}, nil
}

// recheck asks a receiver counted as silent, at most every probeEvery, whether it answers
// again: a plain GET of its URL, which any HTTP server answers at once (a 404 or 405 will
// do). A receiver that stalled once, say under the no-loss load, and recovered gets its
// remaining checks instead of "stopped answering"; one that is gone costs one short wait.
func (c *client) recheck(ctx context.Context) {
	c.mu.Lock()
	due := c.silent >= deadAfter && time.Since(c.probed) >= probeEvery
	if due {
		c.probed = time.Now()
	}
	c.mu.Unlock()
	if !due {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.target.URL, nil)
	if err != nil {
		return
	}
	resp, err := c.probe.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	c.mu.Lock()
	c.silent = 0
	c.mu.Unlock()
}

// send makes one attempt with the target's settings.
func (c *client) send(ctx context.Context, ev mock8x8.Event) mock8x8.Outcome {
	return c.observe(c.sender.Send(ctx, ev))
}

// sendWith makes one attempt with changed sender settings (another Authorization or
// Content-Type), otherwise as the target's.
func (c *client) sendWith(ctx context.Context, change func(*mock8x8.SenderConfig), ev mock8x8.Event) mock8x8.Outcome {
	cfg := mock8x8.SenderConfig{URL: c.target.URL, Timeout: c.target.Timeout, Authorization: c.target.Auth}
	change(&cfg)
	s, err := mock8x8.NewSender(cfg)
	if err != nil {
		return mock8x8.Outcome{Error: mock8x8.ErrOther, Message: err.Error()}
	}
	defer s.Close()
	return c.observe(s.Send(ctx, ev))
}

// observe tracks whether the receiver still answers.
func (c *client) observe(o mock8x8.Outcome) mock8x8.Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.Status == 0 && o.Error != mock8x8.ErrNone && o.Error != mock8x8.ErrOther {
		c.silent++
		c.lastMiss = o
	} else if o.Status != 0 {
		c.silent = 0
	}
	return o
}

// silence returns why no more should be sent, or "" while the receiver answers.
func (c *client) silence() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.silent < deadAfter {
		return ""
	}
	return fmt.Sprintf("the receiver stopped answering: the last %d attempts got no response (last: %s); "+
		"not sending more to it. 8x8 would retry each event 4 times and then drop it", c.silent, c.lastMiss.Message)
}

func (c *client) close() {
	c.sender.Close()
	c.probe.CloseIdleConnections()
}

// answer says in words what came back.
func answer(o mock8x8.Outcome) string {
	switch {
	case o.Status != 0 && o.Error != mock8x8.ErrNone:
		return fmt.Sprintf("%d, then %s (%s) after %s", o.Status, o.Error, o.Message, o.Duration().Round(100*time.Microsecond))
	case o.Error != mock8x8.ErrNone:
		return fmt.Sprintf("no response: %s (%s)", o.Error, o.Message)
	default:
		return fmt.Sprintf("%d in %s", o.Status, o.Duration().Round(10*time.Microsecond))
	}
}

// sent describes an event for a failure message: its id and the start of its body.
func sent(ev mock8x8.Event) string {
	id := ev.ID
	if id == "" {
		id = "(no eventId)"
	}
	return fmt.Sprintf("event %s, %d bytes: %s", id, len(ev.Body), excerpt(strings.ReplaceAll(ev.Body, "\n", " "), 160))
}

// is2XX reports an outcome 8x8 counts as delivered.
func is2XX(o mock8x8.Outcome) bool {
	return o.Error == mock8x8.ErrNone && o.Status >= 200 && o.Status < 300
}

// why2XX explains, for a non-2XX outcome, what 8x8 would do with it.
func why2XX(o mock8x8.Outcome) string {
	switch {
	case o.Error == mock8x8.ErrTimeout:
		return "8x8 counts an answer slower than its timeout as a failure and retries the event after 1, 10, 30 and 90 s"
	case o.Error != mock8x8.ErrNone:
		return "8x8 retries the event after 1, 10, 30 and 90 s, then drops it"
	case o.Status >= 300 && o.Status < 400:
		return "8x8 does not follow redirects and does not retry them: the event is lost"
	case o.Status < 200:
		return "8x8 does not retry a 1XX: the event is lost"
	case o.Status >= 400:
		return "8x8 retries every 4XX and 5XX after 1, 10, 30 and 90 s, then drops the event"
	}
	return ""
}
