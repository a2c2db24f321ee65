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
	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// chromium returns the path of a Chromium binary, or skips the test
// (fails it in CI) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found; CI requires it")
	}
	t.Skip("chromium not found: install it (apt-get install chromium) to run the widget's browser tests")
	return ""
}

// browser starts headless Chromium for the test, with a minute to run.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// root is the widget's shadow root, in JavaScript.
const root = `document.querySelector('#switchboard-widget').shadowRoot`

// replying serves the widget's routes with a pipeline that answers every
// message with rep, until the test ends.
func replying(t *testing.T, rep conversation.Reply) *httptest.Server {
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		r := rep
		r.Address = m.Address
		return out.Send(ctx, r)
	}, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// askWidget opens the widget on the page at url and sends question.
func askWidget(t *testing.T, ctx context.Context, url, question string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.Click(chromedp.JSPath(root+`.querySelector('.launcher')`)),
		chromedp.WaitVisible(chromedp.JSPath(root+`.querySelector('textarea')`)),
		chromedp.SendKeys(chromedp.JSPath(root+`.querySelector('textarea')`), question+"\r"),
	)
	if err != nil {
		t.Fatalf("ask in the widget: %v", err)
	}
}

// TestWidgetRetriesLostReply: the widget's first request is processed
// but its connection breaks before the reply arrives (a gateway that
// died); the widget sends the same message again, with the same
// message_id, and shows the one reply, with no error.
func TestWidgetRetriesLostReply(t *testing.T) {
	bin := chromium(t)

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

	ctx := browser(t, bin)
	askWidget(t, ctx, srv.URL, "How long does a refund take?")
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

// TestWidgetShowsCodeAsCode: a reply quoting a command between ``` lines
// shows it in a <pre>, as written, the fences gone, and nothing of the
// reply read as HTML.
func TestWidgetShowsCodeAsCode(t *testing.T) {
	bin := chromium(t)
	srv := replying(t, conversation.Reply{Text: "Send the key as a token:\n```\ncurl https://api.example.com \\\n  -H \"Key: <b>k</b>\"\n```\nKeys expire."})
	ctx := browser(t, bin)
	askWidget(t, ctx, srv.URL, "how do i send my key?")
	got, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const b = [...`+root+`.querySelectorAll('.msg.bot .text')].pop();
		const pre = b && b.querySelector('pre');
		return pre ? [pre.textContent, b.textContent, String(b.querySelectorAll('b').length)] : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("no code block appeared: %v", err)
	}
	if want := "curl https://api.example.com \\\n  -H \"Key: <b>k</b>\""; got[0] != want {
		t.Errorf("code block %q, want %q", got[0], want)
	}
	if strings.Contains(got[1], "```") || got[2] != "0" {
		t.Errorf("reply shows %q with %s <b> elements; want no fences and no markup", got[1], got[2])
	}
}

// TestWidgetUnsentMessage: a message the server refuses (rate limited)
// is marked as not sent, leaves the saved conversation and goes back
// into the box; it stayed in the transcript as if asked, and showed
// twice once sent again.
func TestWidgetUnsentMessage(t *testing.T) {
	bin := chromium(t)
	a := newTestAdapter(t, func(context.Context, conversation.Message, conversation.Sender) error {
		return conversation.ErrRateLimited
	}, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := browser(t, bin)
	askWidget(t, ctx, srv.URL, "refund time?")
	got, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const r = `+root+`;
		const u = r.querySelector('.msg.user');
		if (!u || !u.classList.contains('failed')) return null;
		const saved = Object.values(sessionStorage).join('');
		return [r.querySelector('textarea').value, String(saved.includes('refund time?'))];
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the refused message was not marked as not sent: %v", err)
	}
	// The box is compared without surrounding space: chromedp types
	// Enter as a key press and then a separate character, which a slow
	// run (-race) delivers after the refusal has put the text back.
	if strings.TrimSpace(got[0]) != "refund time?" || got[1] != "false" {
		t.Errorf("box %q, saved transcript holds it: %s; want it back in the box and not saved", got[0], got[1])
	}
}

// TestWidgetLinksWords: the words of a reply that the article linked
// become links (a page here for another article), once each, in place;
// a target that is no web page stays text.
func TestWidgetLinksWords(t *testing.T) {
	bin := chromium(t)
	srv := replying(t, conversation.Reply{
		Text: "Before contacting us, check the status page. The status page lists incidents; see Rate limits and the pagemaster, or email us.",
		Links: []knowledge.Link{{Text: "status page", URL: "https://status.example.com"}, {Text: "Rate limits", Source: "rate-limits.md"},
			{Text: "page", URL: "javascript:alert(1)"}, {Text: "email us", URL: "mailto:help@example.com"}},
		Citations: []knowledge.Citation{{Title: "Support", Source: "support.md"}}})
	ctx := browser(t, bin)
	askWidget(t, ctx, srv.URL, "is the api down?")
	got, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const b = [...`+root+`.querySelectorAll('.msg.bot .text')].pop();
		const a = b ? [...b.querySelectorAll('a')] : [];
		return a.length ? [b.textContent, ...a.map(x => x.textContent + " -> " + x.getAttribute('href'))] : null;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("no linked reply appeared: %v", err)
	}
	want := []string{"Before contacting us, check the status page. The status page lists incidents; see Rate limits and the pagemaster, or email us.",
		"status page -> https://status.example.com/", "Rate limits -> " + srv.URL + "/articles/rate-limits.md", "email us -> mailto:help@example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reply text and links (-want +got):\n%s", diff)
	}
}

// TestWidgetSpeaksThePagesLanguage: on a German page the widget's own
// words are German, and its "talk to a human" button asks for one in
// German, which the bot understands.
func TestWidgetSpeaksThePagesLanguage(t *testing.T) {
	bin := chromium(t)
	var mu sync.Mutex
	var texts []string
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		mu.Lock()
		texts = append(texts, m.Text)
		mu.Unlock()
		if conversation.WantsHuman(m.Text) {
			return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "Ich übergebe an einen Mitarbeiter.", Handoff: true})
		}
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "Das weiß ich leider nicht.", Fallback: true})
	}, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	mux.HandleFunc("GET /lang/{lang}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="`+r.PathValue("lang")+`"><head><meta charset="utf-8"></head><body><script src="/widget.js"></script></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := browser(t, bin)
	box := chromedp.JSPath(root + `.querySelector('textarea')`)
	human := chromedp.JSPath(root + `.querySelector('.msg.bot button.human')`)
	// Central Yup'ik (esu) is no Spanish: the language is the tag's first
	// part, not its first two letters.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/lang/esu"), chromedp.WaitReady("#switchboard-widget")); err != nil {
		t.Fatal(err)
	}
	if p, _ := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('textarea').placeholder`)); p != "Type your question…" {
		t.Errorf("placeholder on an esu page %q, want the English one", p)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/lang/de-CH"),
		chromedp.Click(chromedp.JSPath(root+`.querySelector('.launcher')`)),
		chromedp.WaitVisible(box),
	)
	if err != nil {
		t.Fatalf("open the widget: %v", err)
	}
	placeholder, _ := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('textarea').placeholder`))
	greeting, _ := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('.msg.bot .text').textContent`))
	if err := chromedp.Do(ctx, chromedp.SendKeys(box, "Wie hoch ist die Marsmiete?\r"), chromedp.WaitVisible(human)); err != nil {
		t.Fatalf("ask: %v", err)
	}
	label, _ := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('.msg.bot button.human').textContent`))
	if err := chromedp.Do(ctx, chromedp.Click(human)); err != nil {
		t.Fatalf("press the button: %v", err)
	}
	note, err := chromedp.Run(ctx, chromedp.Poll[string](`(`+root+`.querySelector('.msg.bot .note') || {}).textContent || null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("no handoff note: %v", err)
	}
	if placeholder != "Ihre Frage…" || !strings.HasPrefix(greeting, "Hallo!") || label != "Mit einem Menschen sprechen" || !strings.Contains(note, "Support-Teams") {
		t.Errorf("placeholder %q, greeting %q, button %q, note %q: want them in German", placeholder, greeting, label, note)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(texts) != 2 || texts[1] != "Ich möchte mit einem Mitarbeiter sprechen" {
		t.Errorf("messages sent %q, want the button's German request second", texts)
	}
}

// agentSessions is a Sessions where every conversation is a human
// agent's, with one reply of theirs.
type agentSessions struct{}

func (agentSessions) History(context.Context, string) ([]conversation.Turn, error) {
	return []conversation.Turn{{Role: conversation.RoleAgent, Name: "Sam", Text: "Sam here.", Time: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}}, nil
}

func (agentSessions) Meta(context.Context, string) (conversation.Meta, error) {
	return conversation.Meta{State: conversation.StateHuman}, nil
}

// TestWidgetNewConversationPolls: a widget whose conversation the server
// no longer knows (a token refused: a new WIDGET_SECRET) stops asking
// for it, and once a message starts another conversation that a human
// takes, asks again and shows the agent's reply; it had stopped asking
// for the rest of the tab's life.
func TestWidgetNewConversationPolls(t *testing.T) {
	bin := chromium(t)
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "Handing you over.", Handoff: true})
	}, func(o *Options) { o.Sessions = agentSessions{} })
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := browser(t, bin)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	stale := `{"conversation_id":"gone","token":"00","human":true,"transcript":[]}`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.setItem("switchboard:`+srv.URL+`", '`+stale+`') || true`)); err != nil {
		t.Fatal(err)
	}
	// Loaded with it, the widget asks at once, is refused and stops.
	box := chromedp.JSPath(root + `.querySelector('textarea')`)
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady("#switchboard-widget"), chromedp.Sleep(2*time.Second),
		chromedp.Click(chromedp.JSPath(root+`.querySelector('.launcher')`)), chromedp.WaitVisible(box),
		chromedp.SendKeys(box, "a human please\r")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Poll[string](`(`+root+`.querySelector('.msg.agent .text') || {}).textContent || null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || got != "Sam here." {
		t.Fatalf("agent's reply in the new conversation %q, %v", got, err)
	}
}
