package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clickcheck/clickcheck/mock8x8"
	"github.com/clickcheck/clickcheck/mock8x8/server"
	"github.com/clickcheck/clickcheck/mock8x8/store"
)

// browserWait bounds every wait for the page to show something.
const browserWait = 20 * time.Second

// chromium finds a Chromium or Chrome binary, or skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("the dashboard's browser test needs Chromium, and none of chromium, chromium-browser, google-chrome is on PATH: " +
		"install it with `apt-get install chromium` (Debian; .ci/run does this) and run the test again")
	return ""
}

// browser is one headless Chromium for a test, its tabs made by tab.
type browser struct {
	ctx context.Context
}

// startBrowser starts headless Chromium with a fresh profile; the test stops it.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	profile := t.TempDir() // removed after the browser has exited: cleanups run last-in first-out
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser process to exit
	})
	// The first call starts the browser, which lives as long as ctx: no timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return &browser{ctx: ctx}
}

// tab is one browser tab for a subtest, closed at its end. It fails the subtest on a
// script error or a Content-Security-Policy violation in the page.
func (b *browser) tab(t *testing.T) context.Context {
	t.Helper()
	tabCtx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	// The first call opens the tab, which lives as long as tabCtx: no timeout on it.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(tabCtx) // subscribed before the page loads: nothing is missed
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for m, err := range messages {
			if err != nil {
				return
			}
			// Source is set only on the browser's own log (a refused fetch once the server
			// is gone, say): those are expected, the page's own errors are not.
			if m.Source != "" || (m.Type != chromedp.ConsoleException && m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleWarning) {
				continue
			}
			mu.Lock()
			problems = append(problems, m.String())
			mu.Unlock()
		}
	}()
	ctx, cancelTimeout := context.WithTimeout(tabCtx, 2*browserWait)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		<-watched
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("in the page: %s", p)
		}
	})
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `document.addEventListener('securitypolicyviolation',
			(e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
	})
	if err != nil {
		t.Fatalf("watching the tab for CSP violations: %v", err)
	}
	return ctx
}

// run runs the actions in the tab, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pageView is what the dashboard shows, read from the page's DOM.
type pageView struct {
	Stats  map[string]string `json:"stats"`
	Sent   []string          `json:"sent"`
	Result string            `json:"result"`
	Events []struct {
		ID       string `json:"id"`
		Result   string `json:"result"`
		Attempts []struct {
			N, Code, Latency, Result string
		} `json:"attempts"`
		Next []string `json:"next"`
	} `json:"events"`
	Banner   string `json:"banner"`
	Live     string `json:"live"`
	Detail   string `json:"detail"`
	Cookie   string `json:"cookie"`
	HasLogin bool   `json:"hasLogin"`
}

const readPage = `(() => {
  const text = (e) => (e ? e.textContent.replace(/\s+/g, ' ').trim() : '');
  const all = (sel, root) => [...(root || document).querySelectorAll(sel)];
  const stats = {};
  for (const k of ['events', 'delivered', 'exhausted', 'rejected', 'pending', 'attempts']) stats[k] = text(document.getElementById('stat-' + k));
  const banner = document.getElementById('banner');
  const detail = document.getElementById('detail');
  return {
    stats,
    sent: all('#send-result [data-event-id]').map((e) => e.getAttribute('data-event-id')),
    result: text(document.getElementById('send-result')),
    events: all('#events-body tr[data-event-id]').map((tr) => ({
      id: tr.getAttribute('data-event-id'),
      result: text(tr.querySelector('.badge')),
      attempts: all('li.att', tr).map((li) => ({ N: text(li.querySelector('.n')), Code: text(li.querySelector('.code')),
        Latency: text(li.querySelector('.lat')), Result: text(li.querySelector('.res')) })),
      next: all('li.next', tr).map(text),
    })),
    banner: banner && !banner.hidden ? text(banner) : '',
    live: text(document.getElementById('live-text')),
    detail: detail && !detail.hidden ? text(detail) : '',
    cookie: document.cookie,
    hasLogin: !!document.getElementById('login-form'),
  };
})()`

// waitPage reads the page until ok accepts it, for at most browserWait, and fails with
// what the page last showed.
func waitPage(t *testing.T, ctx context.Context, what string, ok func(pageView) bool) pageView {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	var v pageView
	for {
		var err error
		if v, err = chromedp.Run(ctx, chromedp.Evaluate[pageView](readPage)); err != nil {
			t.Fatalf("reading the page while waiting for %s: %v", what, err)
		}
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(v, "", "  ")
			t.Fatalf("after %s the page does not show %s; it shows:\n%s", browserWait, what, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDashboard_InABrowser(t *testing.T) {
	began := time.Now()
	b := startBrowser(t)
	t.Logf("Chromium started in %s", time.Since(began).Round(time.Millisecond))

	t.Run("clicks sent with the form appear with every attempt", func(t *testing.T) {
		failFirst := func(_ string, n int) int {
			if n == 1 {
				return 503
			}
			return 200
		}
		rc := startReceiver(t, failFirst)
		m := startMock(t, server.Config{Schedule: mock8x8.DefaultSchedule().Scaled(0.01)}, nil)
		ctx := b.tab(t)
		run(t, ctx, "opening the dashboard", chromedp.Navigate(m.URL+"/"), chromedp.WaitVisible(chromedp.ID("send-form")))

		// No webhook is configured and no URL given: the server's error is shown.
		run(t, ctx, "sending without a receiver", chromedp.SetValue(chromedp.ID("count"), "3"), chromedp.Click(chromedp.ID("send")))
		waitPage(t, ctx, "the server's error about no webhook", func(v pageView) bool {
			return strings.Contains(v.Result, "no enabled webhook is configured")
		})

		run(t, ctx, "filling in the receiver", chromedp.SendKeys(chromedp.ID("to"), rc.URL), chromedp.Click(chromedp.ID("send")))
		sent := waitPage(t, ctx, "the 3 event ids the server accepted", func(v pageView) bool { return len(v.Sent) == 3 })
		v := waitPage(t, ctx, "3 events, each a 503 then a 200, and the counters at 3 events / 3 delivered", func(v pageView) bool {
			if v.Stats["events"] != "3" || v.Stats["delivered"] != "3" || v.Stats["pending"] != "0" || v.Stats["attempts"] != "6" || len(v.Events) != 3 {
				return false
			}
			for _, e := range v.Events {
				if e.Result != "delivered" || len(e.Attempts) != 2 {
					return false
				}
			}
			return true
		})
		latency := regexp.MustCompile(`^\d+(\.\d+)? (ms|s)$`)
		for _, e := range v.Events {
			if !slices.Contains(sent.Sent, e.ID) {
				t.Errorf("the page lists event %s, which the form was not told about (it got %v)", e.ID, sent.Sent)
			}
			a1, a2 := e.Attempts[0], e.Attempts[1]
			if a1.N != "#1" || a1.Code != "503" || a1.Result != "retry" || a2.N != "#2" || a2.Code != "200" || a2.Result != "delivered" {
				t.Errorf("event %s shows attempts %+v, want #1 503 retry then #2 200 delivered", e.ID, e.Attempts)
			}
			if !latency.MatchString(a1.Latency) || !latency.MatchString(a2.Latency) {
				t.Errorf("event %s shows latencies %q and %q, want durations such as \"1.2 ms\"", e.ID, a1.Latency, a2.Latency)
			}
			if len(e.Next) != 0 {
				t.Errorf("delivered event %s still shows a next attempt %q", e.ID, e.Next)
			}
		}
		if v.Stats["exhausted"] != "0" || v.Stats["rejected"] != "0" {
			t.Errorf("counters %v, want 0 exhausted and 0 rejected", v.Stats)
		}
		if got := len(rc.deliveries()); got != 6 {
			t.Errorf("the receiver got %d requests, want 6 (each event twice)", got)
		}

		// An event's detail: every attempt in a table.
		run(t, ctx, "opening an event's detail", chromedp.Click(chromedp.CSS(`#events-body button[data-select="`+v.Events[0].ID+`"]`)))
		waitPage(t, ctx, "the event's detail with both attempts", func(v pageView) bool {
			return strings.Contains(v.Detail, "Event "+v.Events[0].ID) && strings.Contains(v.Detail, "503") &&
				strings.Contains(v.Detail, "200") && strings.Contains(v.Detail, "Body sent")
		})
	})

	t.Run("a pending retry counts down every second", func(t *testing.T) {
		rc := startReceiver(t, always(503))
		// One retry, a minute after the first attempt: long enough to watch it count down.
		m := startMock(t, server.Config{Schedule: mock8x8.Schedule{Intervals: []time.Duration{time.Minute}, Scale: 1}}, nil)
		if code, body := m.call(t, "POST", "/v1/clicks", "", map[string]any{"count": 1, "to": rc.URL}); code != 202 {
			t.Fatalf("POST /v1/clicks: %d %s", code, body)
		}
		ctx := b.tab(t)
		run(t, ctx, "opening the dashboard", chromedp.Navigate(m.URL+"/"))
		countdown := regexp.MustCompile(`^attempt #2 in (?:(\d+)m )?(\d+)s$`)
		seconds := func(v pageView) int {
			if len(v.Events) != 1 || len(v.Events[0].Next) != 1 {
				return -1
			}
			p := countdown.FindStringSubmatch(v.Events[0].Next[0])
			if p == nil {
				return -1
			}
			m, _ := strconv.Atoi(p[1])
			s, _ := strconv.Atoi(p[2])
			return 60*m + s
		}
		first := waitPage(t, ctx, "a pending event counting down to attempt #2", func(v pageView) bool {
			return seconds(v) > 0 && len(v.Events[0].Attempts) == 1 && v.Stats["pending"] == "1"
		})
		if a := first.Events[0].Attempts[0]; a.Code != "503" || a.Result != "retry" || first.Events[0].Result != "pending" {
			t.Errorf("pending event shows %+v (result %q), want #1 503 retry and result pending", a, first.Events[0].Result)
		}
		from := seconds(first)
		if from < 50 || from > 60 {
			t.Errorf("countdown starts at %ds, want about 60s", from)
		}
		then := waitPage(t, ctx, "the countdown going down", func(v pageView) bool { s := seconds(v); return s > 0 && s < from })
		if s := seconds(then); from-s > 2 {
			t.Errorf("countdown went from %ds to %ds at once, want it to tick a second at a time", from, s)
		}
	})

	t.Run("with an API key the browser signs in and uses its session", func(t *testing.T) {
		const key = "browser-api-key-4b1d"
		rc := startReceiver(t, always(200))
		m := startMock(t, server.Config{APIKey: key}, nil)
		ctx := b.tab(t)
		run(t, ctx, "opening the dashboard", chromedp.Navigate(m.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-form")))
		run(t, ctx, "signing in with a wrong key", chromedp.SendKeys(chromedp.ID("key"), "wrong"), chromedp.Submit(chromedp.ID("key")),
			chromedp.WaitVisible(chromedp.ID("login-error")))
		run(t, ctx, "signing in with the key", chromedp.SendKeys(chromedp.ID("key"), key), chromedp.Submit(chromedp.ID("key")),
			chromedp.WaitVisible(chromedp.ID("send-form")))
		v := waitPage(t, ctx, "the live dashboard", func(v pageView) bool { return strings.HasPrefix(v.Live, "Updated") && v.Banner == "" })
		if v.Cookie != "" {
			t.Errorf("the page's script can read the cookies %q, want the session HttpOnly", v.Cookie)
		}
		run(t, ctx, "sending a click", chromedp.SendKeys(chromedp.ID("to"), rc.URL), chromedp.Click(chromedp.ID("send")))
		waitPage(t, ctx, "the click delivered", func(v pageView) bool {
			return v.Stats["delivered"] == "1" && len(v.Events) == 1 && v.Events[0].Result == "delivered" && len(v.Sent) == 1
		})
		page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatalf("reading the page: %v", err)
		}
		if strings.Contains(page, key) {
			t.Errorf("the signed-in page contains the API key")
		}
	})

	t.Run("a banner says when the server cannot be reached", func(t *testing.T) {
		st, err := store.Open("")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		srv, err := server.New(server.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(hs.Close)
		ctx := b.tab(t)
		run(t, ctx, "opening the dashboard", chromedp.Navigate(hs.URL+"/"))
		waitPage(t, ctx, "the live dashboard", func(v pageView) bool { return strings.HasPrefix(v.Live, "Updated") })
		hs.Close()
		v := waitPage(t, ctx, "the banner", func(v pageView) bool { return strings.Contains(v.Banner, "Cannot reach the clickcheck server") })
		if v.Live != "Offline" {
			t.Errorf("the status reads %q with the server gone, want Offline", v.Live)
		}
	})
	t.Logf("the browser test took %s", time.Since(began).Round(time.Millisecond))
}
