package bot

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
)

// chromium returns the path of a Chromium binary, or ends the test: a
// failure when CI is set, a loud skip otherwise.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found: install it (apt-get install chromium) to run the widget's browser test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI requires it")
	}
	t.Log(strings.Repeat("!", 72))
	t.Log(msg)
	t.Log(strings.Repeat("!", 72))
	t.Skip(msg)
	return ""
}

const widgetRoot = `document.querySelector('#switchboard-widget').shadowRoot`

// TestWidgetInChromium opens the demo page of a real server in headless
// Chromium, opens the widget, asks a question with the keyboard and waits
// for a streamed reply with a citation link.
func TestWidgetInChromium(t *testing.T) {
	bin := chromium(t)
	// Pieces are paced so that they reach the browser in separate network
	// reads, as a model's tokens do.
	slow := conversation.AnswererFunc(func(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
		if q.Delta != nil {
			delta := q.Delta
			q.Delta = func(piece string) error {
				time.Sleep(20 * time.Millisecond)
				return delta(piece)
			}
		}
		return extractive.New(extractive.Options{}).Answer(ctx, q)
	})
	r := start(t, testConfig(), Options{Answerer: slow})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Every text the bot bubble shows is recorded, to see the reply grow
	// piece by piece (streamed) rather than appear at once.
	const observe = `(() => {
		const root = ` + widgetRoot + `;
		window.__texts = [];
		const before = root.querySelectorAll('.msg.bot').length;
		new MutationObserver(() => {
			const b = root.querySelectorAll('.msg.bot .text');
			if (b.length <= before) return;
			const last = b[b.length - 1];
			if (last && window.__texts[window.__texts.length - 1] !== last.textContent) window.__texts.push(last.textContent);
		}).observe(root.querySelector('.log'), {subtree: true, childList: true, characterData: true});
		return true;
	})()`
	err := chromedp.Do(ctx,
		chromedp.Navigate(r.URL+"/"),
		chromedp.WaitVisible(chromedp.JSPath(widgetRoot+`.querySelector('.launcher')`)),
	)
	if err != nil {
		t.Fatalf("open the demo page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](observe)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.JSPath(widgetRoot+`.querySelector('.launcher')`)),
		chromedp.WaitVisible(chromedp.JSPath(widgetRoot+`.querySelector('textarea')`)),
	)
	if err != nil {
		t.Fatalf("open the widget: %v", err)
	}
	expanded, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widgetRoot+`.querySelector('.launcher').getAttribute('aria-expanded')`))
	focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(`+widgetRoot+`.activeElement || {}).tagName || ""`))
	if expanded != "true" || focused != "TEXTAREA" {
		t.Errorf("after opening: aria-expanded %q, focus on %q; want true and the message box", expanded, focused)
	}
	// Typed with the keyboard; Enter sends.
	err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.JSPath(widgetRoot+`.querySelector('textarea')`), "How long does a refund take to arrive?\r"))
	if err != nil {
		t.Fatalf("type the question: %v", err)
	}

	links, err := chromedp.Run(ctx, chromedp.Poll[[]map[string]string](`(() => {
		const a = [...`+widgetRoot+`.querySelectorAll('.msg.bot a.citation')];
		return a.length ? a.map(x => ({href: x.href, text: x.textContent})) : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || len(links) == 0 {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widgetRoot+`.innerHTML`))
		t.Fatalf("no cited reply appeared: %v\nwidget: %s", err, html)
	}
	if !strings.Contains(links[0]["href"], "/articles/refunds.md") || links[0]["text"] == "" {
		t.Fatalf("citation links %v, want one to /articles/refunds.md with a title", links)
	}

	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__texts`))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const b = `+widgetRoot+`.querySelectorAll('.msg.bot .text'); return b[b.length-1].textContent })()`))
	stored, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Object.keys(sessionStorage).map(k => sessionStorage.getItem(k)).join('')`))
	if len(texts) < 3 {
		t.Errorf("the reply showed %d states %q, want it to grow piece by piece", len(texts), texts)
	}
	for i := 1; i < len(texts)-1; i++ {
		if !strings.HasPrefix(texts[i], texts[i-1]) {
			t.Errorf("streamed text went from %q to %q", texts[i-1], texts[i])
			break
		}
	}
	if reply == "" || !strings.Contains(stored, "conversation_id") {
		t.Errorf("reply %q, sessionStorage %q: want a reply and the conversation remembered", reply, stored)
	}

	// Escape closes the panel and gives focus back to the launcher.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\x1b")); err != nil {
		t.Fatal(err)
	}
	hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](widgetRoot+`.querySelector('.panel').hidden`))
	focused, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(`+widgetRoot+`.activeElement || {}).className || ""`))
	if !hidden || focused != "launcher" {
		t.Errorf("after Escape: panel hidden %v, focus on %q; want hidden and the launcher", hidden, focused)
	}
}
