package openai_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/knowledge"
)

// fakeHandler is a conversation.Handler made of a function; it remembers
// the messages it got.
type fakeHandler struct {
	fn func(ctx context.Context, m conversation.Message, out conversation.Sender) error

	mu   sync.Mutex
	msgs []conversation.Message
}

func (h *fakeHandler) Handle(ctx context.Context, m conversation.Message, out conversation.Sender) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	return h.fn(ctx, m, out)
}

var passwords = knowledge.Citation{Title: "Passwords", Source: "account/passwords.md#reset"}

// answering replies with deltas (when out streams) and then text.
func answering(text string, deltas ...string) *fakeHandler {
	return &fakeHandler{fn: func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		if st, ok := out.(conversation.Streamer); ok {
			for _, d := range deltas {
				if err := st.Delta(ctx, m.Address, d); err != nil {
					return err
				}
			}
		}
		return out.Send(ctx, conversation.Reply{Address: m.Address, Text: text, Citations: []knowledge.Citation{passwords}, Confidence: 0.9})
	}}
}

func TestGroundedAnswer(t *testing.T) {
	h := answering("Open Settings, then Reset password.")
	srv := newServer(t, openai.Options{Handler: h, ModelName: testModel, Keys: []openai.Key{{Name: "team-a", Token: "sk-a"}}})
	auth := map[string]string{"Authorization": "Bearer sk-a"}
	body := `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"How do I reset my password?"}],"switchboard":{"knowledge":true}}`
	resp, got := post(t, srv, chatPath, body, auth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body %s", resp.StatusCode, got)
	}
	want := `{"object":"chat.completion","model":"` + testModel + `","choices":[{"index":0,"message":{"role":"assistant","content":"Open Settings, then Reset password."},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},` +
		`"switchboard":{"citations":[{"title":"Passwords","source":"account/passwords.md#reset"}],"fallback":false,"handoff":false}}`
	if diff := cmp.Diff(jsonMap(t, want), normalize(t, got, "chatcmpl-", nil)); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}

	// The next turn of the same chat, the whole history resent as OpenAI
	// clients do, goes to the same session; a chat that opens otherwise,
	// another user or an explicit conversation id to another.
	posts := []string{
		`{"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Open Settings."},{"role":"user","content":"And on mobile?"}],"switchboard":{"knowledge":true}}`,
		`{"messages":[{"role":"user","content":"Where is my invoice?"}],"switchboard":{"knowledge":true}}`,
		`{"messages":[{"role":"user","content":"How do I reset my password?"}],"user":"u-42","switchboard":{"knowledge":true}}`,
		`{"messages":[{"role":"user","content":"How do I reset my password?"}],"switchboard":{"knowledge":true,"conversation_id":"c-7"}}`,
	}
	for _, p := range posts {
		if resp, b := post(t, srv, chatPath, p, auth); resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body %s", resp.StatusCode, b)
		}
	}
	m := h.msgs
	if len(m) != 5 {
		t.Fatalf("handler got %d messages, want 5", len(m))
	}
	if diff := cmp.Diff(conversation.Address{Platform: "openai", Channel: "team-a", Thread: m[0].Address.Thread, User: "key:team-a"}, m[0].Address); diff != "" {
		t.Errorf("address (-want +got):\n%s", diff)
	}
	if got, want := m[1].Text, "And on mobile?"; got != want {
		t.Errorf("question = %q, want the last user message %q", got, want)
	}
	if m[1].Address != m[0].Address {
		t.Errorf("second turn address %+v, want the first turn's %+v", m[1].Address, m[0].Address)
	}
	for i := 2; i < 5; i++ {
		if m[i].Address.SessionID() == m[0].Address.SessionID() {
			t.Errorf("request %d shares the first chat's session %q", i, m[0].Address.SessionID())
		}
	}
	if got, want := m[3].Address.User, "u-42"; got != want {
		t.Errorf("user = %q, want %q", got, want)
	}
	if got, want := m[4].Address.Thread, "c-7"; got != want {
		t.Errorf("thread = %q, want the conversation_id %q", got, want)
	}

	// Without keys the channel is "anon".
	open := answering("x")
	srv = newServer(t, openai.Options{Handler: open})
	post(t, srv, chatPath, posts[1], nil)
	if got := open.msgs[0].Address.Channel; got != "anon" {
		t.Errorf("channel on an open API = %q, want anon", got)
	}
	// The client address is counted on an open API only: a key's
	// callers are the key holder's users.
	if got := open.msgs[0].Client; got == "" {
		t.Error("message on an open API has no Client address for its rate limit")
	}
	if got := m[0].Client; got != "" {
		t.Errorf("message with an API key has Client %q, want none", got)
	}
}

// TestOpenCallersDoNotShareSessions: on an API without keys, callers
// from two addresses who open with the same words are two sessions (one
// asking for a human silenced the other) and two rate-limit buckets;
// one caller resending the chat stays in one.
func TestOpenCallersDoNotShareSessions(t *testing.T) {
	h := answering("x")
	api, err := openai.New(openai.Options{Handler: h, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	ask := func(remote, body string) {
		req := httptest.NewRequest(http.MethodPost, chatPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	first := `{"messages":[{"role":"user","content":"hi team"}],"switchboard":{"knowledge":true}}`
	second := `{"messages":[{"role":"user","content":"hi team"},{"role":"assistant","content":"Hi"},{"role":"user","content":"get me a human"}],"switchboard":{"knowledge":true}}`
	ask("192.0.2.1:1000", first)
	ask("192.0.2.1:1001", second)
	ask("192.0.2.2:1000", first)
	m := h.msgs
	if m[0].Address.SessionID() != m[1].Address.SessionID() {
		t.Errorf("one caller's two turns are sessions %q and %q", m[0].Address.SessionID(), m[1].Address.SessionID())
	}
	if m[2].Address.SessionID() == m[0].Address.SessionID() {
		t.Errorf("callers from two addresses share session %q", m[0].Address.SessionID())
	}
	if m[2].Address.User == m[0].Address.User {
		t.Errorf("callers from two addresses are one user %q (one rate-limit bucket)", m[0].Address.User)
	}
}

func TestGroundedNonStreamedIsNoStreamer(t *testing.T) {
	var streamer bool
	h := &fakeHandler{fn: func(ctx context.Context, m conversation.Message, out conversation.Sender) error {
		_, streamer = out.(conversation.Streamer)
		return out.Send(ctx, conversation.Reply{Text: "ok"})
	}}
	srv := newServer(t, openai.Options{Handler: h})
	post(t, srv, chatPath, `{"messages":[{"role":"user","content":"hi"}],"switchboard":{"knowledge":true}}`, nil)
	if streamer {
		t.Error("a non-streamed request's Sender is a Streamer")
	}
}

func TestGroundedStream(t *testing.T) {
	// The pipeline streamed two sentences and its final reply has a third.
	h := answering("Open Settings. Tap Reset. Done.", "Open Settings.", " Tap Reset.")
	srv := newServer(t, openai.Options{Handler: h, ModelName: testModel})
	body := `{"messages":[{"role":"user","content":"How do I reset my password?"}],"stream":true,"stream_options":{"include_usage":true},"switchboard":{"knowledge":true}}`
	resp, got := post(t, srv, chatPath, body, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body %s", resp.StatusCode, got)
	}
	chunk := func(choices, extra string) string {
		return `{"object":"chat.completion.chunk","model":"` + testModel + `","choices":` + choices + extra + `}`
	}
	piece := func(s string) string {
		return chunk(`[{"index":0,"delta":{"content":"`+s+`"},"logprobs":null,"finish_reason":null}]`, `,"usage":null`)
	}
	want := []string{
		chunk(`[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`, `,"usage":null`),
		piece("Open Settings."),
		piece(" Tap Reset."),
		piece(" Done."),
		chunk(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]`, `,"usage":null,"switchboard":{"citations":[{"title":"Passwords","source":"account/passwords.md#reset"}],"fallback":false,"handoff":false}`),
		chunk(`[]`, `,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}`),
	}
	events := readEvents(t, got)
	if len(events) != len(want)+1 || events[len(want)] != "[DONE]" {
		t.Fatalf("events = %q, want %d chunks and [DONE]", events, len(want))
	}
	fp := ""
	for i, w := range want {
		if diff := cmp.Diff(jsonMap(t, w), normalize(t, []byte(events[i]), "chatcmpl-", &fp)); diff != "" {
			t.Errorf("event %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestGroundedErrors(t *testing.T) {
	failing := func(err error) *fakeHandler {
		return &fakeHandler{fn: func(context.Context, conversation.Message, conversation.Sender) error { return err }}
	}
	tests := []struct {
		name       string
		h          *fakeHandler
		status     int
		code       string
		retryAfter string
		want       string // the answer of a 200
	}{
		{"rate limited", failing(conversation.ErrRateLimited), 429, "rate_limit_exceeded", "60", ""},
		{"store down", failing(fmt.Errorf("load: %w", conversation.ErrUnavailable)), 503, "unavailable", "", ""},
		{"shut down", failing(conversation.ErrShutdown), 503, "unavailable", "", ""},
		{"broken", failing(errors.New("boom")), 500, "<null>", "", ""},
		{"no reply", failing(nil), 500, "<null>", "", ""},
		{"human agent", failing(conversation.ErrHumanHandling), 200, "", "",
			`{"object":"chat.completion","model":"switchboard","choices":[{"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},"switchboard":{"citations":[],"fallback":false,"handoff":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, openai.Options{Handler: tt.h})
			resp, body := post(t, srv, chatPath, `{"messages":[{"role":"user","content":"hi"}],"switchboard":{"knowledge":true}}`, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if tt.status == 200 {
				if diff := cmp.Diff(jsonMap(t, tt.want), normalize(t, body, "chatcmpl-", nil)); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				return
			}
			if e := decodeError(t, body); str(e.Error.Code) != tt.code {
				t.Errorf("code = %s, want %s", str(e.Error.Code), tt.code)
			}
		})
	}

	srv := newServer(t, openai.Options{Handler: answering("x")})
	resp, body := post(t, srv, chatPath, `{"messages":[{"role":"system","content":"hi"}],"switchboard":{"knowledge":true}}`, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no user message: status = %d, want 400; body %s", resp.StatusCode, body)
	}
}
