package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard/switchboard/conversation"
)

// TestWidgetRetriesLostReply: the widget's first request is processed
// but its connection breaks before the reply arrives (a gateway that
// died); the widget sends the same message again, with the same
// message_id, and shows the one reply, with no error.
func TestWidgetRetriesLostReply(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found; CI requires it")
		}
		t.Skip("chromium not found: install it (apt-get install chromium) to run the widget's retry test")
	}

	// The pipeline answers a message id once and gives the same reply to
	// its retries, as the bot does.
	var mu sync.Mutex
	replies := map[string]string{}
	handled := 0
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		mu.Lock()
		rep, seen := replies[m.ID]
		if !seen {
			handled++
			rep = "Refunds take 5 days."
			replies[m.ID] = rep
		}
		mu.Unlock()
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: rep})
	}, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	var ids []string // message_id of each POST
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			mux.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req Request
		_ = json.Unmarshal(body, &req)
		mu.Lock()
		ids = append(ids, req.MessageID)
		first := len(ids) == 1
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if first {
			// Processed, but the reply never reaches the browser.
			mux.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler)
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	const root = `document.querySelector('#switchboard-widget').shadowRoot`
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click(chromedp.JSPath(root+`.querySelector('.launcher')`)),
		chromedp.WaitVisible(chromedp.JSPath(root+`.querySelector('textarea')`)),
		chromedp.SendKeys(chromedp.JSPath(root+`.querySelector('textarea')`), "How long does a refund take?\r"),
	)
	if err != nil {
		t.Fatalf("ask in the widget: %v", err)
	}
	// What the widget shows after the question: bot replies and notes.
	texts, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const all = [...`+root+`.querySelectorAll('.msg')];
		const i = all.findIndex(x => x.classList.contains('user'));
		const after = i < 0 ? [] : all.slice(i + 1).map(x => (x.querySelector('.text') || x).textContent);
		return after.length ? after : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("no reply appeared: %v", err)
	}
	if got, want := strings.Join(texts, "|"), "Refunds take 5 days."; got != want {
		t.Errorf("widget shows %q, want only the reply %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
		t.Errorf("message ids of the attempts = %q, want two, equal and not empty", ids)
	}
	if handled != 1 {
		t.Errorf("the pipeline answered %d times, want once", handled)
	}
}
