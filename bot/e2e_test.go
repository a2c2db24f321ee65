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

// openBrowser starts headless Chromium for the test, with a minute to run.
func openBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
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
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

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

	ctx := openBrowser(t, bin)

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

// askInWidget starts a server on the test knowledge and headless
// Chromium, opens the widget on the demo page and asks question.
func askInWidget(t *testing.T, question string) (*running, context.Context) {
	t.Helper()
	bin := chromium(t)
	r := start(t, testConfig(), Options{})
	ctx := openBrowser(t, bin)
	box := chromedp.JSPath(widgetRoot + `.querySelector('textarea')`)
	err := chromedp.Do(ctx,
		chromedp.Navigate(r.URL+"/"),
		chromedp.Click(chromedp.JSPath(widgetRoot+`.querySelector('.launcher')`)),
		chromedp.WaitVisible(box),
		chromedp.SendKeys(box, question+"\r"),
	)
	if err != nil {
		t.Fatalf("ask %q in the widget: %v", question, err)
	}
	return r, ctx
}

// TestWidgetAgentReplies: in headless Chromium, a visitor asks for a
// human; what they write next is taken (not marked unsent), the agent's
// reply saved through the operator API appears in the widget under the
// agent's name, once, also after a reload, and the widget says when the
// conversation is back with the bot.
func TestWidgetAgentReplies(t *testing.T) {
	r, ctx := askInWidget(t, "I want to talk to a human please")
	box := chromedp.JSPath(widgetRoot + `.querySelector('textarea')`)
	wait := func(what, js string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widgetRoot+`.innerHTML`))
			t.Fatalf("%s: %v\nwidget: %s", what, err, html)
		}
		return got
	}
	wait("the handoff reply", `(`+widgetRoot+`.querySelector('.msg.bot .note') || {}).textContent || null`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(box, "my parcel never came\r")); err != nil {
		t.Fatal(err)
	}
	wait("the message to the agent sent", `(() => {
		const r = `+widgetRoot+`;
		return r.querySelectorAll('.msg.user').length == 2 && !r.querySelector('.send').disabled ? "sent" : null })()`)
	if failed, _ := chromedp.Run(ctx, chromedp.Evaluate[int](widgetRoot+`.querySelectorAll('.msg.failed').length`)); failed != 0 {
		t.Errorf("%d messages marked not sent; the agent has them", failed)
	}

	conv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Object.values(sessionStorage).map(v => JSON.parse(v).conversation_id).find(Boolean) || ""`))
	if err != nil || conv == "" {
		t.Fatalf("no conversation id in sessionStorage: %v", err)
	}
	// The visitor closes the panel to wait; the launcher shows the reply
	// came, and opening the panel shows it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.JSPath(widgetRoot+`.querySelector('.close')`))); err != nil {
		t.Fatal(err)
	}
	var saved map[string]any
	if code, ecode := call(t, "POST", r.URL+"/api/v1/sessions/"+conv+"/messages", "test-admin", `{"text":"Hi, Sam here. A replacement is on its way.","name":"Sam"}`, &saved); code != 201 {
		t.Fatalf("agent reply: %d %s", code, ecode)
	}
	wait("the launcher's new-message mark", `(`+widgetRoot+`.querySelector('.launcher.unread') || {}).getAttribute?.('aria-label') || null`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.JSPath(widgetRoot+`.querySelector('.launcher')`))); err != nil {
		t.Fatal(err)
	}
	if unread, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](widgetRoot+`.querySelector('.launcher').classList.contains('unread')`)); unread {
		t.Errorf("the launcher is still marked after opening")
	}
	agent := `[...` + widgetRoot + `.querySelectorAll('.msg.agent')].map(b => b.querySelector('.who').textContent + ': ' + b.querySelector('.text').textContent).join('|') || null`
	if got := wait("the agent's reply", agent); got != "Sam: Hi, Sam here. A replacement is on its way." {
		t.Errorf("agent bubbles %q", got)
	}
	// After a reload the reply is shown from the saved conversation, and
	// the polls that follow do not add it again.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady(`#switchboard-widget`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4500 * time.Millisecond)
	if got := wait("the agent's reply after a reload", agent); got != "Sam: Hi, Sam here. A replacement is on its way." {
		t.Errorf("agent bubbles after a reload %q, want the one reply once", got)
	}

	var rel map[string]string
	if code, ecode := call(t, "POST", r.URL+"/api/v1/sessions/"+conv+"/release", "test-admin", "", &rel); code != 200 {
		t.Fatalf("release: %d %s", code, ecode)
	}
	wait("the note that the bot is back", `[...`+widgetRoot+`.querySelectorAll('.msg.system')].map(s => s.textContent).find(s => s.includes('assistant again')) || null`)
}

// TestWidgetHumanButton: under a fallback the widget offers a "Talk to a
// human" button, which asks for one: the conversation is handed off.
func TestWidgetHumanButton(t *testing.T) {
	_, ctx := askInWidget(t, "what will the weather be like on mars tomorrow")
	human := chromedp.JSPath(widgetRoot + `.querySelector('.msg.bot button.human')`)
	err := chromedp.Do(ctx, chromedp.WaitVisible(human), chromedp.Click(human))
	if err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widgetRoot+`.innerHTML`))
		t.Fatalf("fallback, then the button: %v\nwidget: %s", err, html)
	}
	note, err := chromedp.Run(ctx, chromedp.Poll[string](`(`+widgetRoot+`.querySelector('.msg.bot .note') || {}).textContent || null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.Contains(note, "support team") {
		t.Fatalf("after the button: note %q, %v; want the handoff's", note, err)
	}
	users, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...`+widgetRoot+`.querySelectorAll('.msg.user .text')].map(x => x.textContent)`))
	if len(users) != 2 || users[1] != "Talk to a human" {
		t.Errorf("the visitor's messages %q, want the button's request shown as theirs", users)
	}
}

// TestWidgetAgentTakesOver: an agent who takes over a conversation the
// bot has (an operator's reply to it) reaches the open widget without
// the visitor writing first.
func TestWidgetAgentTakesOver(t *testing.T) {
	r, ctx := askInWidget(t, "How long does a refund take to arrive?")
	conv, err := chromedp.Run(ctx, chromedp.Poll[string](`Object.values(sessionStorage).map(v => JSON.parse(v).conversation_id).find(Boolean) || null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("no conversation: %v", err)
	}
	var saved map[string]any
	if code, ecode := call(t, "POST", r.URL+"/api/v1/sessions/"+conv+"/messages", "test-admin", `{"text":"Hi, Sam here: your refund went out today.","name":"Sam"}`, &saved); code != 201 {
		t.Fatalf("agent reply: %d %s", code, ecode)
	}
	got, err := chromedp.Run(ctx, chromedp.Poll[string](`(`+widgetRoot+`.querySelector('.msg.agent .text') || {}).textContent || null`,
		chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil || got != "Hi, Sam here: your refund went out today." {
		t.Fatalf("agent's message in the widget %q, %v; want it within the bot-state poll", got, err)
	}
}
