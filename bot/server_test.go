package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/adapters/web"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/conversation/extractive"
)

const testKnowledge = "testdata/knowledge"

// testConfig is the default configuration over the test knowledge.
func testConfig() Config {
	cfg, _ := ParseConfig(nil)
	cfg.Knowledge.Dir = testKnowledge
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Secrets.WidgetSecret = "test-secret"
	cfg.Secrets.AdminToken = "test-admin"
	cfg.Server.ShutdownTimeout = 10 * time.Second
	// Every test client is 127.0.0.1; TestClientRateLimit turns it on.
	cfg.Conversation.ClientRateLimit = -1
	return cfg
}

// running is a Server serving on a loopback port.
type running struct {
	*Server
	URL    string
	cancel context.CancelFunc
	done   chan struct{} // closed when Serve has returned
	err    error         // Serve's result, once done is closed
}

// start builds a Server from cfg and opt and serves it on a loopback port
// until the test ends.
func start(t testing.TB, cfg Config, opt Options) *running {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Server: s, URL: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = s.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop within 15s")
		}
	})
	return r
}

// reply is a decoded answer of POST /api/v1/messages (or its error).
type reply struct {
	Status int
	web.Response
	Error web.ErrorDetail
}

func send(t testing.TB, url string, body any) reply {
	t.Helper()
	r, err := trySend(url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// trySend is send for goroutines other than the test's.
func trySend(url string, body any) (reply, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+"/api/v1/messages", "application/json", strings.NewReader(string(b)))
	if err != nil {
		return reply{}, fmt.Errorf("POST: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &r.Response); err != nil {
			return r, fmt.Errorf("answer %s: %w", raw, err)
		}
		return r, nil
	}
	var eb web.ErrorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
		return r, fmt.Errorf("status %d with body %s: not the error shape", resp.StatusCode, raw)
	}
	r.Error = eb.Error
	return r, nil
}

type msg = map[string]any

func TestAnswerWithCitation(t *testing.T) {
	r := start(t, testConfig(), Options{})
	got := send(t, r.URL, msg{"text": "How long does a refund take to reach me?"})
	if got.Status != 200 || got.Reply == nil {
		t.Fatalf("status %d %+v", got.Status, got.Error)
	}
	if got.Reply.Fallback || len(got.Reply.Citations) == 0 {
		t.Fatalf("reply %+v: want a cited answer", got.Reply)
	}
	c := got.Reply.Citations[0]
	if !strings.HasPrefix(c.Source, "refunds.md") || c.URL != "/articles/"+c.Source {
		t.Fatalf("citation %+v: want refunds.md linked under /articles/", c)
	}
	// The citation link works.
	path, _, _ := strings.Cut(c.URL, "#")
	resp, err := http.Get(r.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "# Refunds") {
		t.Fatalf("GET %s: status %d, body %.40q", path, resp.StatusCode, body)
	}
	for _, bad := range []string{"/articles/../config_test.go", "/articles/%2e%2e/config.go", "/articles/nope.md", "/articles/x.go"} {
		resp, err := http.Get(r.URL + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Errorf("GET %s: status %d, want 404", bad, resp.StatusCode)
		}
	}
}

// TestMinAnswerability: answer.min_answerability reaches the answerer.
// Asking near certainty of every reply, the bot falls back on a question
// it answers by default, and with the check off it answers it too.
func TestMinAnswerability(t *testing.T) {
	for _, tt := range []struct {
		min      float64
		fallback bool
	}{{0, false}, {-1, false}, {0.99, true}} {
		cfg := testConfig()
		cfg.Answer.MinAnswerability = tt.min
		r := start(t, cfg, Options{})
		got := send(t, r.URL, msg{"text": "How long does a refund take to reach me?"})
		if got.Status != 200 || got.Reply == nil {
			t.Fatalf("min_answerability %v: status %d %+v", tt.min, got.Status, got.Error)
		}
		if got.Reply.Fallback != tt.fallback {
			t.Errorf("min_answerability %v: reply %+v, want fallback %v", tt.min, got.Reply, tt.fallback)
		}
	}
}

// TestHTMLArticle: an HTML article in the knowledge folder is answered
// from and cited like a Markdown one, and served sandboxed, so that a
// script in an exported page cannot run on the bot's origin; an article
// saved in Windows-1252 is served as the UTF-8 its charset says.
func TestHTMLArticle(t *testing.T) {
	dir := t.TempDir()
	page := `<html><head><title>Gift cards</title><script>alert(1)</script></head><body><main>
<h1>Gift cards</h1><h2 id="expiry">When gift cards expire</h2><p>A gift card is valid for <b>24 months</b> from the day it was bought.</p>
</main></body></html>`
	if err := os.WriteFile(filepath.Join(dir, "gift-cards.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cafe.md"), []byte("# Caf\xe9\n\nOur caf\xe9 opens at 8.\n"), 0o644); err != nil {
		t.Fatal(err) // saved in Windows-1252
	}
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	r := start(t, cfg, Options{})
	resp, err := http.Get(r.URL + "/articles/cafe.md")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "# Café\n\nOur café opens at 8.\n" {
		t.Errorf("GET a Windows-1252 article: %q, want it in UTF-8", body)
	}
	got := send(t, r.URL, msg{"text": "how long is a gift card valid"})
	if got.Status != 200 || got.Reply == nil || got.Reply.Fallback || !strings.Contains(got.Reply.Text, "24 months") ||
		len(got.Reply.Citations) == 0 || got.Reply.Citations[0].URL != "/articles/gift-cards.html#expiry" {
		t.Fatalf("status %d, reply %+v: want the validity, cited to /articles/gift-cards.html#expiry", got.Status, got.Reply)
	}
	resp, err = http.Get(r.URL + "/articles/gift-cards.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != 200 || !strings.HasPrefix(csp, "sandbox") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET the article: status %d, Content-Type %q, CSP %q; want 200, HTML, sandboxed",
			resp.StatusCode, resp.Header.Get("Content-Type"), csp)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	r := start(t, testConfig(), Options{})
	send(t, r.URL, msg{"text": "How much is the Plus plan per month?"})
	send(t, r.URL, msg{"text": "What is the airspeed velocity of an unladen swallow?"})
	for _, tt := range []struct {
		path     string
		status   int
		contains []string
	}{
		{"/healthz", 200, []string{`"ok"`}},
		{"/readyz", 200, []string{`"ready"`}},
		{"/metrics", 200, []string{
			`switchboard_messages_total{outcome="answered",platform="web"} 1`,
			`switchboard_messages_total{outcome="fallback",platform="web"} 1`,
			`switchboard_fallbacks_total{platform="web"} 1`,
			`switchboard_reply_seconds_count{platform="web"} 2`,
			`switchboard_retrieval_seconds_count`,
			// Before any event, at 0 (alerts see a series).
			`switchboard_rate_limited_total{platform="web"} 0`,
			`switchboard_handoffs_total{platform="web",reason="asked"} 0`,
			`switchboard_messages_total{outcome="handoff",platform="web"} 0`,
			`switchboard_messages_total{outcome="error",platform="web"} 0`,
		}},
	} {
		resp, err := http.Get(r.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		for _, c := range tt.contains {
			if !strings.Contains(string(body), c) {
				t.Errorf("GET %s: body lacks %q", tt.path, c)
			}
		}
	}
}

func TestReleaseHandoff(t *testing.T) {
	r := start(t, testConfig(), Options{})
	first := send(t, r.URL, msg{"text": "I want to talk to a human please"})
	if first.Status != 200 || !first.Reply.Handoff {
		t.Fatalf("asking for a human: status %d reply %+v, want a handoff", first.Status, first.Reply)
	}
	conv := msg{"conversation_id": first.ConversationID, "token": first.Token}
	ask := func(text string) reply {
		m := msg{"text": text}
		for k, v := range conv {
			m[k] = v
		}
		return send(t, r.URL, m)
	}
	if got := ask("How much is Plus?"); got.Status != 409 || got.Error.Code != web.CodeHumanHandling {
		t.Fatalf("while handed off: status %d code %q, want 409 %s", got.Status, got.Error.Code, web.CodeHumanHandling)
	}
	session := conversation.Address{Platform: web.Platform, Channel: web.ChannelWidget, Thread: first.ConversationID}.SessionID()
	release := func(id, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/sessions/"+id+"/release", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name, id, auth string
		want           int
	}{
		{"no token", session, "", 401},
		{"wrong token", session, "Bearer nope", 401},
		{"not bearer", session, "test-admin", 401},
		{"unknown session", "web::widget:nobody", "Bearer test-admin", 404},
		// The widget only knows its conversation id; that names the session too.
		{"operator, by conversation id", first.ConversationID, "Bearer test-admin", 200},
		{"already released", session, "Bearer test-admin", 404},
	} {
		if got := release(tt.id, tt.auth); got != tt.want {
			t.Errorf("release, %s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := ask("How much is the Plus plan per month?"); got.Status != 200 || got.Reply.Handoff {
		t.Fatalf("after release: status %d %+v, want the bot to answer again", got.Status, got.Error)
	}
}

// gatedAnswerer blocks every answer until release is closed.
type gatedAnswerer struct {
	inner   conversation.Answerer
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedAnswerer) Answer(ctx context.Context, q conversation.Query) (conversation.Answer, error) {
	g.once.Do(func() { close(g.started) })
	select {
	case <-g.release:
	case <-ctx.Done():
		return conversation.Answer{}, ctx.Err()
	}
	return g.inner.Answer(ctx, q)
}

// TestShutdown: a reply in flight finishes, new requests get 503 with the
// error shape, and a second Shutdown returns ErrClosed.
func TestShutdown(t *testing.T) {
	g := &gatedAnswerer{inner: extractive.New(extractive.Options{}), started: make(chan struct{}), release: make(chan struct{})}
	cfg := testConfig()
	cfg.Server.DrainDelay = 300 * time.Millisecond
	r := start(t, cfg, Options{Answerer: g})

	inflight := make(chan reply, 1)
	go func() {
		r, err := trySend(r.URL, msg{"text": "How long does a refund take?"})
		if err != nil {
			t.Error(err)
		}
		inflight <- r
	}()
	<-g.started

	shut := make(chan error, 1)
	go func() { shut <- r.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // inside the drain delay
	if got := send(t, r.URL, msg{"text": "another question"}); got.Status != 503 || got.Error.Code != web.CodeShuttingDown {
		t.Fatalf("new request while draining: status %d code %q, want 503 %s", got.Status, got.Error.Code, web.CodeShuttingDown)
	}
	resp, err := http.Get(r.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("/readyz while draining: %d, want 503", resp.StatusCode)
	}
	close(g.release)
	if got := <-inflight; got.Status != 200 || got.Reply == nil || got.Reply.Text == "" {
		t.Fatalf("in-flight reply: status %d %+v, want it to finish", got.Status, got.Error)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := r.Shutdown(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Shutdown = %v, want ErrClosed", err)
	}
	<-r.done
	if r.err != nil {
		t.Fatalf("Serve = %v after Shutdown, want nil", r.err)
	}
	if _, err := http.Get(r.URL + "/healthz"); err == nil {
		t.Fatal("the listener still accepts after Shutdown")
	}
}

// TestShutdownBounded: a reply that would not finish in time is cancelled
// when the shutdown context ends.
func TestShutdownBounded(t *testing.T) {
	g := &gatedAnswerer{inner: extractive.New(extractive.Options{}), started: make(chan struct{}), release: make(chan struct{})}
	r := start(t, testConfig(), Options{Answerer: g})
	got := make(chan error, 1)
	go func() {
		rep, err := trySend(r.URL, msg{"text": "How long does a refund take?"})
		if err == nil && rep.Status < 500 {
			err = fmt.Errorf("status %d, want a 5xx", rep.Status)
		}
		got <- err
	}()
	<-g.started
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.Shutdown(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Shutdown took %v with a 200ms budget", d)
	}
	// The cancelled reply's client is told, not cut off.
	if err := <-got; err != nil {
		t.Errorf("client of the cancelled reply: %v", err)
	}
}

// readSSE reads event names from an SSE body.
func readSSE(t testing.TB, body io.Reader) (names []string, data []string) {
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			names = append(names, v)
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, v)
		}
	}
	return names, data
}

func TestStreamThroughServer(t *testing.T) {
	r := start(t, testConfig(), Options{})
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/messages", strings.NewReader(`{"text":"How long does a refund take?"}`))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names, _ := readSSE(t, resp.Body)
	if len(names) < 4 || names[0] != "conversation" || names[1] != "delta" || names[len(names)-2] != "reply" || names[len(names)-1] != "done" {
		t.Fatalf("events = %v, want conversation, delta..., reply, done", names)
	}
	for _, n := range names[1 : len(names)-2] {
		if n != "delta" {
			t.Fatalf("events = %v: %q between the deltas", names, n)
		}
	}
}

func ExampleServer() {
	cfg, _, err := LoadConfig("", nil) // configs/switchboard.yaml and the environment
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := New(context.Background(), cfg, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, _ := net.Listen("tcp", cfg.Server.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_ = s.Serve(ctx, ln) // until ctx is done, then a graceful shutdown
}

func TestOpenAIRoutes(t *testing.T) {
	cfg := testConfig()
	cfg.Secrets.APIKeys = "sk-one, sk-two"
	r := start(t, cfg, Options{})
	call := func(method, path, key, body string) (int, string) {
		req, _ := http.NewRequest(method, r.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name, method, path, key, body string
		status                        int
		contains                      string
	}{
		{"models without key", "GET", "/v1/models", "", "", 401, `"error"`},
		// No engine.model: the built-in model serves the raw routes.
		{"models of the built-in model", "GET", "/v1/models", "sk-two", "", 200, `"switchboard-default"`},
		{"generation with the built-in model", "POST", "/v1/chat/completions", "sk-one", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}`, 200, `"chat.completion"`},
		{"grounded chat", "POST", "/v1/chat/completions", "sk-one",
			`{"messages":[{"role":"user","content":"How long does a refund take to arrive?"}],"switchboard":{"knowledge":true}}`, 200, `refunds.md`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(tt.method, tt.path, tt.key, tt.body)
			if status != tt.status || !strings.Contains(body, tt.contains) {
				t.Fatalf("%s %s: status %d body %.300s, want %d containing %q", tt.method, tt.path, status, body, tt.status, tt.contains)
			}
		})
	}
}

// TestOpenAIWithModel: with engine.model set the server loads it and the
// generation routes answer (a tiny random-weight Llama 3 from the engine's
// fixtures, so the text itself means nothing).
func TestOpenAIWithModel(t *testing.T) {
	cfg := testConfig()
	cfg.Engine.Model = "testdata/model/tiny-llama3.gguf"
	r := start(t, cfg, Options{})
	for _, tt := range []struct{ method, path, body, contains string }{
		{"GET", "/v1/models", "", `"object":"list"`},
		{"POST", "/v1/completions", `{"prompt":"Hello","max_tokens":4}`, `"text_completion"`},
	} {
		req, _ := http.NewRequest(tt.method, r.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s %s: status %d body %.300s, want 200 containing %q", tt.method, tt.path, resp.StatusCode, b, tt.contains)
		}
	}
}

func TestCitationURL(t *testing.T) {
	for source, want := range map[string]string{
		"refunds.md#how-long":                  "/articles/refunds.md#how-long",
		"es/Política de cancelación.md":        "/articles/es/Pol%C3%ADtica%20de%20cancelaci%C3%B3n.md",
		"faq.yaml#can-i-pay-by-card?":          "/articles/faq.yaml#can-i-pay-by-card?",
		"notes/100% refund.md#when-it-applies": "/articles/notes/100%25%20refund.md#when-it-applies",
	} {
		if got := citationURL("/articles/", source); got != want {
			t.Errorf("citationURL(%q) = %q, want %q", source, got, want)
		}
	}
}

// TestArticlePage: a browser following a citation gets the article as a
// page whose sections carry the anchors citations name, for Markdown and
// FAQ files alike; other clients get the file as it is.
func TestArticlePage(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"refunds.md": "# Refunds\n\nWe refund most orders, R&D kits too.\n\n## How long a refund takes\n\nRefunds arrive within 5 days:\n\n- by card\n- by PayPal\n\nOr ask the API:\n\n```sh\ncurl https://api.example.com/refunds \\\n  -H \"Key: <k>\"\n```\n",
		"faq.yaml":   "- q: Can I pay by card?\n  a: Yes, by Visa or Mastercard.\n- q: Do you ship abroad?\n  a: Only within the EU.\n",
		// Docusaurus's own format, with a writer's note that no reader sees.
		"clock-in.mdx": "import TabItem from '@theme/TabItem';\n\n# Clock in\n\n<!-- Legal: no promises. -->\n\n<Tabs>\n<TabItem value=\"ios\" label=\"iOS\">\n\nTap Clock in.\n\n</TabItem>\n</Tabs>\n",
		// A page saved from a help desk: its headings have no ids.
		"repairs.html": "<html><head><title>Repairs</title></head><body><nav>Home</nav><h1>Repairs</h1><h2>How repairs work</h2><p>We collect the item within 2 days.</p></body></html>",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	word := copyFile(t, "../knowledge/testdata/docx/returns.docx", filepath.Join(dir, "returns.docx")) // as pandoc writes one
	odt := copyFile(t, "../knowledge/testdata/odt/returns.odt", filepath.Join(dir, "policy.odt"))
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	r := start(t, cfg, Options{})
	get := func(p, accept string) (string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", r.URL+p, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Content-Type"), string(body)
	}
	ctype, page := get("/articles/refunds.md", "text/html,application/xhtml+xml,*/*;q=0.8")
	for _, want := range []string{"<h1>Refunds</h1>", `<section id="how-long-a-refund-takes">`, "<li>by PayPal</li>", "We refund most orders, R&amp;D kits too.",
		"<pre><code>curl https://api.example.com/refunds \\\n  -H &#34;Key: &lt;k&gt;&#34;</code></pre>"} {
		if !strings.HasPrefix(ctype, "text/html") || !strings.Contains(page, want) {
			t.Errorf("refunds.md for a browser: %s, lacks %q:\n%s", ctype, want, page)
		}
	}
	if ctype, mdx := get("/articles/clock-in.mdx", "text/html"); !strings.HasPrefix(ctype, "text/html") || !strings.Contains(mdx, "<h2>iOS</h2>") || strings.Contains(mdx, "Legal") || strings.Contains(mdx, "import") {
		t.Errorf("clock-in.mdx for a browser: %s, want the iOS tab headed and neither the comment nor the import:\n%s", ctype, mdx)
	}
	if _, html := get("/articles/repairs.html", "text/html"); !strings.Contains(html, `<section id="how-repairs-work">`) || strings.Contains(html, "<nav>") {
		t.Errorf("repairs.html for a browser: want the indexed page, with the anchor citations use and without the site's navigation:\n%s", html)
	}
	if _, faq := get("/articles/faq.yaml", "text/html"); !strings.Contains(faq, `<section id="do-you-ship-abroad">`) || !strings.Contains(faq, "<h2>Do you ship abroad?</h2>") {
		t.Errorf("faq.yaml for a browser lacks the entry's anchor and question:\n%s", faq)
	}
	if ctype, raw := get("/articles/refunds.md", "*/*"); !strings.HasPrefix(ctype, "text/markdown") || raw != files["refunds.md"] {
		t.Errorf("refunds.md for another client: %s %q, want the file", ctype, raw)
	}
	if _, page := get("/articles/returns.docx", "text/html"); !strings.Contains(page, `<section id="refund-times">`) || !strings.Contains(page, "<h1>Returns and refunds</h1>") {
		t.Errorf("returns.docx for a browser: want the page of its sections:\n%s", page)
	}
	if ctype, raw := get("/articles/returns.docx", "*/*"); !strings.Contains(ctype, "wordprocessingml") || raw != string(word) {
		t.Errorf("returns.docx for another client: %s, %d bytes; want the Word file (%d bytes)", ctype, len(raw), len(word))
	}
	if _, page := get("/articles/policy.odt", "text/html"); !strings.Contains(page, `<section id="refund-times">`) {
		t.Errorf("policy.odt for a browser: want the page of its sections:\n%s", page)
	}
	if ctype, raw := get("/articles/policy.odt", "*/*"); !strings.Contains(ctype, "opendocument.text") || raw != string(odt) {
		t.Errorf("policy.odt for another client: %s, %d bytes; want the file (%d bytes)", ctype, len(raw), len(odt))
	}
}

// copyFile copies the file from to the path to and returns its bytes.
func copyFile(t *testing.T, from, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExportArticles: a help-centre export's articles are cited by
// their own pages' URLs, listed one by one on the home page (each was
// listed as the file's first title), and the export file is served only
// as the page of its published articles: served as it was to a client
// that did not ask for HTML, it gave away its drafts. An FAQ kept as a
// spreadsheet, CSV or Excel, is served so too.
func TestExportArticles(t *testing.T) {
	dir := t.TempDir()
	faq := "Question,Answer,Draft\n" +
		"Can I bring a guest?,\"Yes, a member can bring one guest a month, free.\",false\n" +
		"Summer sale?,SECRET summer offer: no joining fee.,true\n"
	if err := os.WriteFile(filepath.Join(dir, "faq.csv"), []byte(faq), 0o644); err != nil {
		t.Fatal(err)
	}
	// An Excel workbook with a draft row, as SheetJS writes one.
	copyFile(t, "../knowledge/testdata/xlsx/faq.xlsx", filepath.Join(dir, "cafe.xlsx"))
	export := `{"articles": [
		{"id": 1, "html_url": "https://help.example.com/hc/articles/1-Lockers", "draft": false, "title": "Lockers", "body": "<p>Lockers take a one pound coin, returned when you open the locker.</p>"},
		{"id": 2, "html_url": "https://help.example.com/hc/articles/2-Towels", "draft": false, "title": "Towels", "body": "<p>Towels can be hired at reception for two pounds.</p>"},
		{"id": 3, "html_url": "https://help.example.com/hc/articles/3", "draft": true, "title": "Black Friday", "body": "<p>SECRET offer: join for one pound.</p>"}]}`
	if err := os.WriteFile(filepath.Join(dir, "articles.json"), []byte(export), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	r := start(t, cfg, Options{})
	got := send(t, r.URL, msg{"text": "can towels be hired at reception?"})
	if got.Status != 200 || got.Reply == nil || got.Reply.Fallback || len(got.Reply.Citations) == 0 ||
		got.Reply.Citations[0].URL != "https://help.example.com/hc/articles/2-Towels" {
		t.Errorf("status %d, reply %+v: want an answer cited to the article's html_url", got.Status, got.Reply)
	}
	get := func(p string) string {
		t.Helper()
		resp, err := http.Get(r.URL + p) // no Accept: text/html
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	home := get("/")
	for _, want := range []string{`<a href="https://help.example.com/hc/articles/1-Lockers">Lockers</a>`, `<a href="https://help.example.com/hc/articles/2-Towels">Towels</a>`} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %s:\n%s", want, home)
		}
	}
	if page := get("/articles/articles.json"); strings.Contains(page, "SECRET") || strings.Contains(page, "Black Friday") || !strings.Contains(page, "<h2>Towels</h2>") {
		t.Errorf("GET /articles/articles.json = %s, want the page of its published articles only", page)
	}
	// The spreadsheets: an answer cited to the entry (its source, or
	// the URL its row gives), and a page of the published rows only.
	for _, tc := range []struct{ question, cited, file, draft, published string }{
		{"can i bring a guest with me?", "faq.csv#can-i-bring-a-guest", "faq.csv", "SECRET", "a member can bring one guest a month"},
		{"can i bring my dog to the cafe", "https://help.example.com/dogs", "cafe.xlsx", "Boxing Day", "Under-fives go free."},
	} {
		got = send(t, r.URL, msg{"text": tc.question})
		if got.Status != 200 || got.Reply == nil || got.Reply.Fallback || len(got.Reply.Citations) == 0 ||
			got.Reply.Citations[0].Source != tc.cited && got.Reply.Citations[0].URL != tc.cited {
			t.Errorf("%q: status %d, reply %+v: want an answer cited to %s", tc.question, got.Status, got.Reply, tc.cited)
		}
		if page := get("/articles/" + tc.file); strings.Contains(page, tc.draft) || !strings.Contains(page, tc.published) {
			t.Errorf("GET /articles/%s = %s, want the page of its published entries only", tc.file, page)
		}
	}
}

// TestArticlesFollowAReplacedFolder: when the knowledge folder is
// replaced (renamed away and a new copy put in its place, as a deploy
// does), /articles/ serves the new files, not the folder opened at start.
func TestArticlesFollowAReplacedFolder(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "kb")
	write := func(text string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "contact.md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# Contact\n\nCall us on 01632 960 000.\n")
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	r := start(t, cfg, Options{})
	if err := os.Rename(dir, filepath.Join(parent, "kb.old")); err != nil {
		t.Fatal(err)
	}
	write("# Contact\n\nCall us on 01632 960 222.\n")
	resp, err := http.Get(r.URL + "/articles/contact.md")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "960 222") {
		t.Errorf("after the folder was replaced: %d %q; want the new file", resp.StatusCode, body)
	}
}

// TestKnowledgeMetrics: /metrics says how many chunks the answers come
// from and whether the folder stopped loading, its previous index kept.
func TestKnowledgeMetrics(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("# A\n\nAlpha.\n\n## B\n\nBeta.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Knowledge.Dir = dir
	cfg.Knowledge.PollInterval = 20 * time.Millisecond
	r := start(t, cfg, Options{})
	waitMetrics(t, r.URL, "switchboard_knowledge_chunks 2", "switchboard_knowledge_reload_failing 0")
	// An image saved as an article: the folder no longer loads.
	if err := os.WriteFile(filepath.Join(dir, "logo.md"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, r.URL, "switchboard_knowledge_chunks 2", "switchboard_knowledge_reload_failing 1")
	if err := os.Remove(filepath.Join(dir, "logo.md")); err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, r.URL, "switchboard_knowledge_reload_failing 0")
}

// TestWrongMethod: a route called with another method answers 405 with
// Allow, as the README says, and an unknown path 404, both in the error
// shape; the catch-all route answered every one 404.
func TestWrongMethod(t *testing.T) {
	r := start(t, testConfig(), Options{})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/api/v1/knowledge/reload", http.StatusMethodNotAllowed, "POST"},
		{http.MethodGet, "/api/v1/sessions/s1/release", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "GET"},
		{http.MethodDelete, "/articles/refunds.md", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/no/such/page", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, r.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb web.ErrorBody
		err = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow || err != nil || eb.Error.Code == "" {
			t.Errorf("%s %s: status %d Allow %q error %+v; want %d Allow %q in the error shape",
				tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), eb.Error, tt.status, tt.allow)
		}
	}
}

// TestHomePage: GET / on another help centre than the demo lists its
// articles, linked to /articles/, with the widget, and never says
// Parcelpoint (the demo page greeted every help centre's visitors as
// the Parcelpoint assistant); on the demo knowledge it is the demo page.
func TestHomePage(t *testing.T) {
	get := func(cfg Config) string {
		r := start(t, cfg, Options{})
		resp, err := http.Get(r.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /: status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return string(b)
	}
	page := get(testConfig())
	for _, want := range []string{`<script src="/widget.js"`, `<a href="/articles/refunds.md">`} {
		if !strings.Contains(page, want) {
			t.Errorf("home page on test knowledge lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Parcelpoint") {
		t.Errorf("home page on test knowledge names Parcelpoint:\n%s", page)
	}
	demo := testConfig()
	demo.Knowledge.Dir = DefaultKnowledgeDir
	if page := get(demo); !strings.Contains(page, "Parcelpoint") {
		t.Error("home page on the demo knowledge is not the Parcelpoint demo page")
	}
}
