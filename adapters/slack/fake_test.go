package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// A fakeSlack is a recording Slack Web API. Hooks may take over a method:
// a hook gets the method's call number (from 1) and returns false to fall
// through to the default answer.
type fakeSlack struct {
	srv *httptest.Server

	mu    sync.Mutex
	calls []apiCall                                                     // guarded by mu
	n     map[string]int                                                // guarded by mu
	hooks map[string]func(w http.ResponseWriter, c apiCall, n int) bool // guarded by mu
	posts []apiCall                                                     // guarded by mu: messages that exist
	seq   int                                                           // guarded by mu

	ws http.HandlerFunc // serves /ws when set (Socket Mode); set before use
}

type apiCall struct {
	Method string
	Form   url.Values
	At     time.Time
	TS     string // the ts given to a posted message
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{n: map[string]int{}, hooks: map[string]func(http.ResponseWriter, apiCall, int) bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// hook makes fn answer method first.
func (f *fakeSlack) hook(method string, fn func(w http.ResponseWriter, c apiCall, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[method] = fn
}

// record stores c as a posted message and returns its ts.
func (f *fakeSlack) record(c apiCall) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c.TS = fmt.Sprintf("1700000100.%06d", f.seq)
	f.posts = append(f.posts, c)
	for i := range f.calls {
		if f.calls[i].At == c.At && f.calls[i].Method == c.Method {
			f.calls[i].TS = c.TS
		}
	}
	return c.TS
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" && f.ws != nil {
		f.ws(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	c := apiCall{Method: method, Form: form, At: time.Now()}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.n[method]++
	n := f.n[method]
	hook := f.hooks[method]
	f.mu.Unlock()
	if hook != nil && hook(w, c, n) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	var resp any
	switch method {
	case "chat.postMessage":
		resp = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": f.record(c)}
	case "chat.update":
		resp = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts"), "text": form.Get("text")}
	case "chat.delete":
		resp = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")}
	case "chat.postEphemeral":
		resp = map[string]any{"ok": true, "message_ts": "1700000200.000001"}
	case "chat.getPermalink":
		resp = map[string]any{"ok": true, "channel": form.Get("channel"),
			"permalink": "https://example.slack.com/archives/" + form.Get("channel") + "/p" + strings.ReplaceAll(form.Get("message_ts"), ".", "")}
	case "users.info":
		resp = map[string]any{"ok": true, "user": map[string]any{"id": form.Get("user"), "name": "egon",
			"real_name": "Egon Spengler", "profile": map[string]any{"display_name": "Egon"}}}
	case "auth.test":
		resp = map[string]any{"ok": true, "user_id": "UBOT", "team_id": "T1", "bot_id": "BBOT"}
	case "conversations.replies":
		resp = map[string]any{"ok": true, "messages": f.thread(form.Get("channel"), form.Get("ts"))}
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// thread returns the posted messages of a thread, with their metadata,
// as conversations.replies does: its parent (when posted here) first.
func (f *fakeSlack) thread(channel, ts string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, p := range f.posts {
		if p.Form.Get("channel") != channel || (p.Form.Get("thread_ts") != ts && p.TS != ts) {
			continue
		}
		m := map[string]any{"type": "message", "ts": p.TS, "text": p.Form.Get("text")}
		if md := p.Form.Get("metadata"); md != "" {
			var v any
			_ = json.Unmarshal([]byte(md), &v)
			m["metadata"] = v
		}
		out = append(out, m)
	}
	return out
}

// of returns the calls of method, in order.
func (f *fakeSlack) of(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// url is the API base without its trailing slash, so every test also
// checks that New adds it.
func (f *fakeSlack) url() string { return f.srv.URL + "/api" }

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// handlerFunc adapts a function to conversation.Handler.
type handlerFunc func(ctx context.Context, m conversation.Message, out conversation.Sender) error

func (f handlerFunc) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	return f(ctx, m, out)
}

// replyWith is a Handler that answers every message with text and
// citations.
func replyWith(text string, cites ...knowledge.Citation) handlerFunc {
	return func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: text, Citations: cites, Confidence: 0.9})
	}
}

// newTestAdapter returns an adapter on fake and a mux serving it; the
// adapter is shut down (and checked for leaks) when the test ends.
func newTestAdapter(t *testing.T, fake *fakeSlack, o Options) (*Adapter, *http.ServeMux) {
	t.Helper()
	o.BotToken = "xoxb-test"
	if o.SigningSecret == "" {
		o.SigningSecret = testSecret
	}
	o.APIURL = fake.url()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ThinkingDelay == 0 {
		o.ThinkingDelay = -1
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 2 * time.Second
	}
	a, err := New(o)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a, mux
}

// drain waits for the adapter's replies in flight.
func drain(t *testing.T, a *Adapter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown() error = %v", err)
	}
}

// signed builds a signed Slack request for path with body, signed now.
func signed(t *testing.T, path, body string, now time.Time, header ...string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	ts := now.Unix()
	r.Header.Set(HeaderTimestamp, fmt.Sprint(ts))
	r.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// do serves r on mux and returns the response.
func do(mux *http.ServeMux, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

// mentionBody is a signed-ready app_mention event_callback.
func mentionBody(eventID, text, ts, threadTS string) string {
	ev := map[string]any{"type": "app_mention", "user": "U061F7AUR", "text": text, "ts": ts, "channel": "C123", "event_ts": ts}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return envelopeBody(eventID, ev)
}

func envelopeBody(eventID string, ev map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"token": "x", "team_id": "T123", "api_app_id": "A1", "type": "event_callback",
		"event_id": eventID, "event_time": 1515449522, "event": ev,
		"authorizations": []map[string]any{{"team_id": "T123", "user_id": "UBOT", "is_bot": true}},
	})
	return string(b)
}

// checkNoLeaks fails the test if goroutines started during it are still
// running shortly after it ends.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines before the test, %d after:\n%s", before, n, buf)
		}
	})
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// final returns the form of the message posted as ts, with the fields of
// its latest chat.update applied.
func (f *fakeSlack) final(ts string) url.Values {
	out := url.Values{}
	for _, c := range f.of("chat.postMessage") {
		if c.TS == ts {
			for k, v := range c.Form {
				out[k] = v
			}
		}
	}
	for _, c := range f.of("chat.update") {
		if c.Form.Get("ts") == ts {
			for k, v := range c.Form {
				out[k] = v
			}
		}
	}
	return out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
