package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

var testSecret = []byte("test-widget-secret")

// handlerFunc is a fake conversation.Handler.
type handlerFunc func(ctx context.Context, m conversation.Message, out conversation.Sender) error

func (f handlerFunc) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	return f(ctx, m, out)
}

// echo answers with the text it got, streaming it word by word when the
// Sender can stream, and one citation.
func echo(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	if s, ok := out.(conversation.Streamer); ok {
		for _, w := range strings.SplitAfter(m.Text, " ") {
			if err := s.Delta(ctx, m.Address, w); err != nil {
				return err
			}
		}
	}
	return out.Send(ctx, conversation.Reply{
		Address: m.Address, Text: m.Text, Confidence: 0.75,
		Citations: []knowledge.Citation{{Title: "Refunds", Source: "refunds.md#how-long"}},
	})
}

func newTestAdapter(t *testing.T, h handlerFunc, mod func(*Options)) *Adapter {
	t.Helper()
	opt := Options{
		Handler:        h,
		Secret:         testSecret,
		AllowedOrigins: []string{"https://shop.example.com"},
		MaxBodyBytes:   1024,
		CitationURL:    func(s string) string { return "/articles/" + s },
		Logger:         slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&opt)
	}
	a, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = a.Drain(context.Background()) })
	return a
}

func post(t *testing.T, h http.Handler, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/messages", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) ErrorDetail {
	t.Helper()
	var raw map[string]map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	e, ok := raw["error"]
	if len(raw) != 1 || !ok || len(e) != 2 {
		t.Fatalf("error body %s does not have the shape {\"error\":{\"code\",\"message\"}}", w.Body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("error body %s has an empty code or message", w.Body)
	}
	return ErrorDetail{Code: code, Message: msg}
}

func TestTokenVector(t *testing.T) {
	// DERIVED vector of reference/protocols.md §3.2.
	got := Token([]byte("test-identity-secret"), "user-123")
	if want := "b1fe4e395f1c729a481f80be7c02b8ce0efdfc37c04af310f5590b7f6223d4ff"; got != want {
		t.Fatalf("Token = %s, want %s", got, want)
	}
}

func TestConversationRoundTrip(t *testing.T) {
	var sessions []string
	var mu sync.Mutex
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		mu.Lock()
		sessions = append(sessions, m.Address.SessionID())
		mu.Unlock()
		return echo(ctx, m, out)
	}, nil)

	w := post(t, a, `{"text":"  where is my refund? ","user":{"id":"u1","name":"Ana"}}`, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("first message: status %d, body %s", w.Code, w.Body)
	}
	var first Response
	if err := json.Unmarshal(w.Body.Bytes(), &first); err != nil {
		t.Fatal(err)
	}
	if first.ConversationID == "" || first.Token != Token(testSecret, first.ConversationID) {
		t.Fatalf("first answer conversation %q token %q: token is not HMAC(secret, id)", first.ConversationID, first.Token)
	}
	wantReply := &ReplyBody{Text: "where is my refund?", Confidence: 0.75,
		Citations: []Citation{{Title: "Refunds", Source: "refunds.md#how-long", URL: "/articles/refunds.md#how-long"}}}
	if d := cmp.Diff(wantReply, first.Reply); d != "" {
		t.Fatalf("reply (-want +got):\n%s", d)
	}
	// The raw JSON has exactly the documented keys.
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(w.Body.Bytes(), &raw)
	var rep map[string]json.RawMessage
	_ = json.Unmarshal(raw["reply"], &rep)
	if got, want := keys(raw), "conversation_id,reply,token"; got != want {
		t.Errorf("answer keys = %s, want %s", got, want)
	}
	if got, want := keys(rep), "citations,confidence,fallback,handoff,text"; got != want {
		t.Errorf("reply keys = %s, want %s", got, want)
	}

	body := fmt.Sprintf(`{"text":"and now?","conversation_id":%q,"token":%q}`, first.ConversationID, first.Token)
	if w := post(t, a, body, nil); w.Code != http.StatusOK {
		t.Fatalf("second message: status %d, body %s", w.Code, w.Body)
	}
	if len(sessions) != 2 || sessions[0] != sessions[1] {
		t.Fatalf("sessions = %q, want the same session twice", sessions)
	}
}

func keys(m map[string]json.RawMessage) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	// small maps: a simple sort
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return strings.Join(ks, ",")
}

func TestErrors(t *testing.T) {
	okID := "abc123"
	okToken := Token(testSecret, okID)
	never := func(t *testing.T) handlerFunc {
		return func(context.Context, conversation.Message, conversation.Sender) error {
			t.Error("the pipeline ran for a refused request")
			return nil
		}
	}
	failing := func(err error) func(*testing.T) handlerFunc {
		return func(*testing.T) handlerFunc {
			return func(context.Context, conversation.Message, conversation.Sender) error { return err }
		}
	}
	tests := []struct {
		name    string
		body    string
		method  string
		handler func(*testing.T) handlerFunc
		status  int
		code    string
	}{
		{"oversized", `{"text":"` + strings.Repeat("a", 2000) + `"}`, "", never, 413, CodeTooLarge},
		{"malformed json", `{"text":`, "", never, 400, CodeMalformed},
		{"not an object", `["hi"]`, "", never, 400, CodeMalformed},
		{"wrong type", `{"text":42}`, "", never, 400, CodeMalformed},
		{"trailing data", `{"text":"hi"} {"text":"again"}`, "", never, 400, CodeMalformed},
		{"empty text", `{"text":"   "}`, "", never, 400, CodeMalformed},
		{"invisible text", `{"text":"\u200b\ufeff\u00ad"}`, "", never, 400, CodeMalformed},
		{"empty body", ``, "", never, 400, CodeMalformed},
		{"token without conversation", `{"text":"hi","token":"` + okToken + `"}`, "", never, 400, CodeMalformed},
		{"bad conversation id", `{"text":"hi","conversation_id":"a{b}","token":"x"}`, "", never, 400, CodeMalformed},
		{"wrong token", `{"text":"hi","conversation_id":"abc123","token":"` + Token([]byte("other"), okID) + `"}`, "", never, 401, CodeBadToken},
		{"missing token", `{"text":"hi","conversation_id":"abc123"}`, "", never, 401, CodeBadToken},
		{"non-hex token", `{"text":"hi","conversation_id":"abc123","token":"zz"}`, "", never, 401, CodeBadToken},
		{"callback unsigned", `{"text":"hi","callback_url":"https://example.com/cb"}`, "", never, 401, CodeBadSignature},
		{"GET", ``, http.MethodGet, never, 405, CodeMethod},
		{"rate limited", `{"text":"hi"}`, "", failing(conversation.ErrRateLimited), 429, CodeRateLimited},
		{"duplicate", `{"text":"hi"}`, "", failing(conversation.ErrDuplicate), 409, CodeDuplicate},
		{"human handling", `{"text":"hi"}`, "", failing(fmt.Errorf("handle: %w", conversation.ErrHumanHandling)), 409, CodeHumanHandling},
		{"store down", `{"text":"hi"}`, "", failing(fmt.Errorf("load: %w", conversation.ErrUnavailable)), 503, CodeUnavailable},
		{"unexpected", `{"text":"hi"}`, "", failing(errors.New("boom")), 500, CodeInternal},
		{"no reply", `{"text":"hi"}`, "", failing(nil), 500, CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAdapter(t, tt.handler(t), nil)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/messages", strings.NewReader(tt.body))
			if tt.method != "" {
				r.Method = tt.method
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			if got := decodeError(t, w); got.Code != tt.code {
				t.Fatalf("code = %q, want %q", got.Code, tt.code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			if tt.status == 429 && w.Header().Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		})
	}
	// The same errors in a stream request, before any output, are plain
	// JSON errors with their status too.
	a := newTestAdapter(t, failing(conversation.ErrRateLimited)(t), nil)
	w := post(t, a, `{"text":"hi"}`, map[string]string{"Accept": "text/event-stream"})
	if w.Code != 429 || decodeError(t, w).Code != CodeRateLimited {
		t.Fatalf("stream request, rate limited: status %d body %s, want 429 rate_limited", w.Code, w.Body)
	}
}

func TestCORS(t *testing.T) {
	var logs bytes.Buffer
	a := newTestAdapter(t, echo, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	tests := []struct {
		name, method, origin, host string
		status                     int
		allow                      string
	}{
		{"preflight allowed", http.MethodOptions, "https://shop.example.com", "bot.example.com", 204, "https://shop.example.com"},
		{"preflight refused", http.MethodOptions, "https://evil.example.net", "bot.example.com", 403, ""},
		{"post allowed", http.MethodPost, "https://shop.example.com", "bot.example.com", 200, "https://shop.example.com"},
		{"post refused", http.MethodPost, "https://evil.example.net", "bot.example.com", 403, ""},
		{"same origin", http.MethodPost, "http://bot.example.com", "bot.example.com", 200, "http://bot.example.com"},
		{"no origin", http.MethodPost, "", "bot.example.com", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/v1/messages", strings.NewReader(`{"text":"hi"}`))
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.method == http.MethodOptions {
				r.Header.Set("Access-Control-Request-Method", "POST")
				r.Header.Set("Access-Control-Request-Headers", "content-type")
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.allow {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.allow)
			}
			if tt.status == 403 {
				decodeError(t, w)
			}
			if tt.status == 204 {
				if got := w.Header().Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "content-type") {
					t.Errorf("Access-Control-Allow-Headers = %q, want content-type in it", got)
				}
			}
		})
	}
	any := newTestAdapter(t, echo, func(o *Options) { o.AllowedOrigins = []string{"*"} })
	r := httptest.NewRequest(http.MethodOptions, "/api/v1/messages", nil)
	r.Header.Set("Origin", "https://anyone.example")
	w := httptest.NewRecorder()
	any.ServeHTTP(w, r)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://anyone.example" {
		t.Fatalf("with \"*\": status %d, allow %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
	// The refused origin is logged, once for its two refusals.
	if n := strings.Count(logs.String(), "origin refused"); n != 1 || !strings.Contains(logs.String(), "evil.example.net") {
		t.Errorf("refused origin logged %d times, want once naming it:\n%s", n, logs.String())
	}
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	name string
	data string
}

func readEvents(t *testing.T, r io.Reader) []sseEvent {
	t.Helper()
	var evs []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" || cur.data != "" {
				evs = append(evs, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data += strings.TrimPrefix(line, "data: ")
		}
	}
	return evs
}

func TestStreamOrder(t *testing.T) {
	a := newTestAdapter(t, echo, nil)
	w := post(t, a, `{"text":"how long do refunds take"}`, map[string]string{"Accept": "text/event-stream"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d Content-Type %q, want 200 text/event-stream", w.Code, w.Header().Get("Content-Type"))
	}
	evs := readEvents(t, w.Body)
	var names []string
	var text strings.Builder
	for _, e := range evs {
		names = append(names, e.name)
		if e.name == EventDelta {
			var d DeltaEvent
			if err := json.Unmarshal([]byte(e.data), &d); err != nil {
				t.Fatalf("delta data %q: %v", e.data, err)
			}
			text.WriteString(d.Text)
		}
	}
	want := []string{"conversation", "delta", "delta", "delta", "delta", "delta", "reply", "done"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("event order (-want +got):\n%s", d)
	}
	var conv ConversationEvent
	_ = json.Unmarshal([]byte(evs[0].data), &conv)
	if conv.ConversationID == "" || conv.Token != Token(testSecret, conv.ConversationID) {
		t.Fatalf("conversation event %s: bad id or token", evs[0].data)
	}
	var rep Response
	if err := json.Unmarshal([]byte(evs[6].data), &rep); err != nil || rep.Reply == nil {
		t.Fatalf("reply event %q: %v", evs[6].data, err)
	}
	if got, want := text.String(), rep.Reply.Text; got != want {
		t.Fatalf("deltas joined = %q, want the reply text %q", got, want)
	}
	if rep.ConversationID != conv.ConversationID || len(rep.Reply.Citations) != 1 {
		t.Fatalf("reply event %s: want the conversation id and one citation", evs[6].data)
	}
}

func TestStreamErrorAfterStart(t *testing.T) {
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		_ = out.(conversation.Streamer).Delta(ctx, m.Address, "Part")
		return fmt.Errorf("save turn: %w", conversation.ErrUnavailable)
	}, nil)
	w := post(t, a, `{"text":"hi"}`, map[string]string{"Accept": "text/event-stream"})
	evs := readEvents(t, w.Body)
	var names []string
	for _, e := range evs {
		names = append(names, e.name)
	}
	if d := cmp.Diff([]string{"conversation", "delta", "error", "done"}, names); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	var eb ErrorBody
	if err := json.Unmarshal([]byte(evs[2].data), &eb); err != nil || eb.Error.Code != CodeUnavailable {
		t.Fatalf("error event %q: want code %q", evs[2].data, CodeUnavailable)
	}
}

// TestStreamClientDisconnect: a client that goes away mid-stream cancels
// the pipeline; the handler returns, nothing panics, no goroutine is left.
func TestStreamClientDisconnect(t *testing.T) {
	before := runtime.NumGoroutine()
	handlerDone := make(chan error, 1)
	var panicked any
	var sender conversation.Sender
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		sender = out
		s := out.(conversation.Streamer)
		for i := 0; ; i++ {
			if err := s.Delta(ctx, m.Address, fmt.Sprintf("piece %d ", i)); err != nil {
				handlerDone <- err
				return err
			}
			select {
			case <-ctx.Done():
				handlerDone <- ctx.Err()
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}, nil)
	srv := httptest.NewServer(a)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/messages", strings.NewReader(`{"text":"hi"}`))
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for deltas := 0; deltas < 3; {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		if line == "event: delta\n" {
			deltas++
		}
	}
	resp.Body.Close() // the client goes away mid-stream
	select {
	case err := <-handlerDone:
		if err == nil {
			t.Fatal("pipeline stopped without an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pipeline still running 5s after the client disconnected")
	}
	srv.Close()
	// A pipeline that calls the Sender after the request is over gets an
	// error, not a panic.
	func() {
		defer func() { panicked = recover() }()
		if err := sender.Send(context.Background(), conversation.Reply{Text: "late"}); err == nil {
			t.Error("Send after the request ended returned nil")
		}
	}()
	if p := panicked; p != nil {
		t.Fatalf("late Send panicked: %v", p)
	}
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, before)
}

// waitGoroutines fails the test if the goroutine count does not come back
// to at most want within a few seconds.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, want at most %d:\n%s", n, want, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMessageIDOutlivesClient: a message with its own message_id is
// answered to the end after its client goes away (JSON or stream), so
// that the client's retry can be given that reply; one without an id
// stops with its request. Every Sender asks for redelivery.
func TestMessageIDOutlivesClient(t *testing.T) {
	for _, tt := range []struct {
		name       string
		body       string
		stream     bool
		wantFinish bool
	}{
		{"json with id", `{"text":"hi","message_id":"m1"}`, false, true},
		{"stream with id", `{"text":"hi","message_id":"m1"}`, true, true},
		{"json without id", `{"text":"hi"}`, false, false},
		{"stream without id", `{"text":"hi"}`, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{})
			release := make(chan struct{})
			result := make(chan error, 1)
			a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
				if r, ok := out.(interface{ Redeliver() bool }); !ok || !r.Redeliver() {
					t.Errorf("Sender %T does not ask for redelivery", out)
				}
				close(started)
				select {
				case <-release:
				case <-ctx.Done():
					result <- ctx.Err()
					return ctx.Err()
				}
				if s, ok := out.(conversation.Streamer); ok {
					if err := s.Delta(ctx, m.Address, "late piece"); err != nil {
						result <- err
						return err
					}
				}
				err := out.Send(ctx, conversation.Reply{Address: m.Address, Text: "done"})
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				result <- nil // the reply was produced to the end (its delivery may fail)
				return err
			}, nil)
			srv := httptest.NewServer(a)
			defer srv.Close()
			ctx, hangUp := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/messages", strings.NewReader(tt.body))
			if tt.stream {
				req.Header.Set("Accept", "text/event-stream")
			}
			errc := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			<-started
			hangUp()
			<-errc
			time.Sleep(50 * time.Millisecond) // let the server see the connection close
			close(release)
			select {
			case err := <-result:
				if finished := err == nil; finished != tt.wantFinish {
					t.Errorf("reply produced to the end = %v (err %v), want %v", finished, err, tt.wantFinish)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("handler did not return")
			}
		})
	}
}

// TestDrainStopsDetachedReplies: Drain cancels the replies of messages
// with their own id that outlive their clients.
func TestDrainStopsDetachedReplies(t *testing.T) {
	started := make(chan struct{})
	stopped := make(chan error, 1)
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return ctx.Err()
	}, nil)
	go post(t, a, `{"text":"hi","message_id":"m1"}`, nil)
	<-started
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = a.Drain(dctx)
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler ctx error = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Drain did not stop the detached reply")
	}
}

// TestFirstMessageRetrySameConversation: a first message (no
// conversation_id) retried with the same message_id lands in the same
// conversation, so that the pipeline sees one message id; another id,
// another user, another client address or no id starts another
// conversation: a visitor who sends another's first message_id must not
// get that visitor's conversation and token.
func TestFirstMessageRetrySameConversation(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		mu.Lock()
		ids = append(ids, m.ID)
		mu.Unlock()
		return echo(ctx, m, out)
	}, nil)
	conv := func(body, addr string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/messages", strings.NewReader(body))
		req.RemoteAddr = addr
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		var r Response
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || w.Code != 200 {
			t.Fatalf("POST %s: status %d, body %s", body, w.Code, w.Body)
		}
		if !validConversationID(r.ConversationID) || r.Token != Token(testSecret, r.ConversationID) {
			t.Fatalf("POST %s: conversation %q token %q", body, r.ConversationID, r.Token)
		}
		return r.ConversationID
	}
	const home = "198.51.100.7:4000"
	first := conv(`{"text":"hi","message_id":"k1","user":{"id":"u1"}}`, home)
	tests := []struct {
		body, addr string
		same       bool
	}{
		{`{"text":"hi","message_id":"k1","user":{"id":"u1"}}`, home, true},
		{`{"text":"hi","message_id":"k1","user":{"id":"u1"}}`, "198.51.100.7:4711", true}, // another connection
		{`{"text":"hi","message_id":"k2","user":{"id":"u1"}}`, home, false},
		{`{"text":"hi","message_id":"k1","user":{"id":"u2"}}`, home, false},
		{`{"text":"hi","message_id":"k1","user":{"id":"u1"}}`, "203.0.113.9:4000", false},
		{`{"text":"hi","user":{"id":"u1"}}`, home, false},
	}
	for _, tt := range tests {
		if got := conv(tt.body, tt.addr) == first; got != tt.same {
			t.Errorf("POST %s from %s: same conversation as the first = %v, want %v", tt.body, tt.addr, got, tt.same)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) < 2 || ids[0] != ids[1] {
		t.Errorf("message ids the pipeline saw = %q, want the first two equal", ids)
	}
}

// TestParseRequestSaysWhatIsWrong: a field of the wrong type is named in
// the API's terms, not Go's.
func TestParseRequestSaysWhatIsWrong(t *testing.T) {
	for body, want := range map[string]string{
		`{"text":123}`:               "text must be a string, not a number.",
		`{"text":"hi","user":"bob"}`: "user must be an object, not a string.",
		`{"text":"hi"`:               "it ends inside the JSON object.",
		`[{"text":"hi"}]`:            "the body must be an object, not an array.",
		"text=refund+time%3F":        `The body must be a JSON object such as {"text":"..."}.`,
	} {
		_, err := parseRequest([]byte(body))
		if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "Go struct") {
			t.Errorf("parseRequest(%s) = %v, want it to end %q", body, err, want)
		}
	}
}

// hungUp is a ResponseWriter whose client has gone: every write fails.
type hungUp struct{ h http.Header }

func (w hungUp) Header() http.Header     { return w.h }
func (hungUp) Write([]byte) (int, error) { return 0, syscall.EPIPE }
func (hungUp) WriteHeader(int)           {}
func (hungUp) Flush()                    {}

// TestStreamToHungUpClient: a reply that cannot be written because the
// client hung up is an error wrapping conversation.ErrGone, which the
// pipeline counts as cancelled rather than failed (and does not warn of).
func TestStreamToHungUpClient(t *testing.T) {
	a := newTestAdapter(t, echo, nil)
	w := hungUp{http.Header{}}
	s := &stream{a: a, w: w, rc: http.NewResponseController(w), convID: "c1", token: "t"}
	err := s.Send(context.Background(), conversation.Reply{Text: "hello"})
	if !errors.Is(err, conversation.ErrGone) {
		t.Errorf("Send to a hung-up client = %v, want an error wrapping ErrGone", err)
	}
}

// slowAgents is an Agents that blocks until release is closed and
// records what it was told.
type slowAgents struct {
	release chan struct{}
	mu      sync.Mutex
	told    []string
}

func (s *slowAgents) ToAgents(ctx context.Context, session, who, text string) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.told = append(s.told, who+": "+text)
	return nil
}

// TestAgentsToldAfterTheReply: a visitor's reply does not wait for the
// agents to be told of their handoff and of the messages after it, and
// the agents hear of them in order; Drain waits for them.
func TestAgentsToldAfterTheReply(t *testing.T) {
	agents := &slowAgents{release: make(chan struct{})}
	handedOff := false
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		if handedOff {
			return &conversation.Refusal{Err: conversation.ErrHumanHandling}
		}
		handedOff = true
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "Handing you over.", Handoff: true})
	}, func(o *Options) { o.Agents = agents })
	done := make(chan int)
	go func() {
		w := post(t, a, `{"text":"a human please","conversation_id":"c1","token":"`+Token(testSecret, "c1")+`","user":{"name":"Ana"}}`, nil)
		w2 := post(t, a, `{"text":"my parcel never came","conversation_id":"c1","token":"`+Token(testSecret, "c1")+`","user":{"name":"Ana"}}`, nil)
		done <- w.Code*1000 + w2.Code
	}()
	select {
	case codes := <-done:
		if codes != 200409 {
			t.Fatalf("statuses %d, want 200 then 409", codes)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the replies waited for the agents")
	}
	close(agents.release)
	if err := a.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Ana: ", "Ana: my parcel never came"}; !slices.Equal(agents.told, want) {
		t.Errorf("agents told %q, want %q", agents.told, want)
	}
}

// TestUserNameOneLine: the name a visitor gives is shown to agents on
// one line, without control characters.
func TestUserNameOneLine(t *testing.T) {
	var got string
	a := newTestAdapter(t, func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		got = m.UserName
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: "ok"})
	}, nil)
	if w := post(t, a, `{"text":"hi","user":{"name":"Ana\u001b[31m\nEvil\u0000"}}`, nil); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if got != "Ana[31m Evil" {
		t.Errorf("user name %q, want %q", got, "Ana[31m Evil")
	}
}

// TestInOrderPerSession: one session's jobs run in order, and a job that
// hangs (a callback URL that never answers) delays no other session's.
func TestInOrderPerSession(t *testing.T) {
	a := newTestAdapter(t, func(context.Context, conversation.Message, conversation.Sender) error { return nil }, nil)
	hang, other := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var order []int
	a.inOrder("web::webhook:slow", func(context.Context) { <-hang })
	for i := range 3 {
		a.inOrder("web::webhook:fast", func(context.Context) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			if i == 2 {
				close(other)
			}
		})
	}
	select {
	case <-other:
	case <-time.After(5 * time.Second):
		t.Fatal("another session's jobs waited for the hung one")
	}
	close(hang)
	if err := a.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{0, 1, 2}) {
		t.Errorf("jobs ran in the order %v, want 0, 1, 2", order)
	}
	if a.inOrder("web::webhook:fast", func(context.Context) {}) {
		t.Errorf("a job was taken after Drain")
	}
}
