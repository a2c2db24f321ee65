package openai_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

// A recording is a request as an OpenAI SDK sends it (testdata/sdk).
type recording struct {
	SDK     string            `json:"sdk"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"` // kept as sent, key order included
}

func loadRecording(t *testing.T, name string) recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdk", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

const testModel = "tiny-test-model"

// normalize decodes one response object and checks and removes the fields
// that differ between runs: id (with its prefix), created and
// system_fingerprint, which must be the same as fp when fp is set.
func normalize(t *testing.T, b []byte, idPrefix string, fp *string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	if id, _ := m["id"].(string); !strings.HasPrefix(id, idPrefix) || len(id) <= len(idPrefix) {
		t.Errorf("id = %q, want prefix %q", m["id"], idPrefix)
	}
	if c, ok := m["created"].(float64); !ok || c <= 0 {
		t.Errorf("created = %v, want a positive Unix time", m["created"])
	}
	got, _ := m["system_fingerprint"].(string)
	if !strings.HasPrefix(got, "fp_") {
		t.Errorf("system_fingerprint = %q, want fp_…", got)
	}
	if fp != nil {
		if *fp == "" {
			*fp = got
		} else if got != *fp {
			t.Errorf("system_fingerprint = %q, want %q as in the first chunk", got, *fp)
		}
	}
	delete(m, "id")
	delete(m, "created")
	delete(m, "system_fingerprint")
	return m
}

func jsonMap(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("want %s: %v", s, err)
	}
	return m
}

// TestSDKRequests replays requests in the exact shapes the OpenAI Node SDK
// (recorded) and Python SDK send, and checks what reaches the generator
// and every field of the answer.
func TestSDKRequests(t *testing.T) {
	const usage = `{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}`
	chunk := func(choices string, usage string) string {
		return `{"object":"chat.completion.chunk","model":"` + testModel + `","choices":` + choices + `,"usage":` + usage + `}`
	}
	delta := func(d, finish string) string {
		return `[{"index":0,"delta":` + d + `,"logprobs":null,"finish_reason":` + finish + `}]`
	}
	tests := []struct {
		recording string
		finish    string
		wantReq   engine.Request
		seeded    bool     // the request carries a seed
		want      []string // the JSON answer, or each event of a stream
	}{
		{
			recording: "node-chat", finish: "stop", seeded: true,
			wantReq: engine.Request{
				Messages:  []engine.ChatMessage{{Role: "system", Content: "You are a helpful assistant."}, {Role: "user", Content: "Say hello"}},
				MaxTokens: 16, Stop: []string{"\n\n"}, Sampling: engine.Sampling{Temperature: 0, Seed: 42},
			},
			want: []string{`{"object":"chat.completion","model":"` + testModel + `","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"logprobs":null,"finish_reason":"stop"}],"usage":` + usage + `}`},
		},
		{
			recording: "node-chat-stream-parts", finish: "length",
			wantReq: engine.Request{
				Messages:  []engine.ChatMessage{{Role: "user", Content: "Say hello"}},
				MaxTokens: 16, Sampling: engine.Sampling{Temperature: 1},
			},
			want: []string{
				chunk(delta(`{"role":"assistant","content":""}`, "null"), "null"),
				chunk(delta(`{"content":"Hello"}`, "null"), "null"),
				chunk(delta(`{"content":" there"}`, "null"), "null"),
				chunk(delta(`{}`, `"length"`), "null"),
				chunk(`[]`, usage),
				"[DONE]",
			},
		},
		{
			recording: "node-completion", finish: "length",
			wantReq: engine.Request{Prompt: "Once upon a time", MaxTokens: 8, Stop: []string{"\n"}, Sampling: engine.Sampling{Temperature: 1}},
			want:    []string{`{"object":"text_completion","model":"` + testModel + `","choices":[{"text":"Hello there","index":0,"logprobs":null,"finish_reason":"length"}],"usage":` + usage + `}`},
		},
		{
			recording: "python-chat", finish: "stop",
			wantReq: engine.Request{
				Messages:  []engine.ChatMessage{{Role: "system", Content: "You are a helpful assistant."}, {Role: "user", Content: "Say hello"}},
				MaxTokens: 16, Sampling: engine.Sampling{Temperature: 0},
			},
			want: []string{`{"object":"chat.completion","model":"` + testModel + `","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"logprobs":null,"finish_reason":"stop"}],"usage":` + usage + `}`},
		},
		{
			recording: "python-chat-stream", finish: "stop", seeded: true,
			wantReq: engine.Request{
				Messages: []engine.ChatMessage{
					{Role: "system", Content: "Answer briefly."}, {Role: "user", Content: "Say hello"},
					{Role: "assistant", Content: "Hello!"}, {Role: "user", Content: "Again"},
				},
				Stop: []string{"END"}, Sampling: engine.Sampling{Temperature: 1, TopP: 0.9, Seed: 7},
			},
			want: []string{
				chunk(delta(`{"role":"assistant","content":""}`, "null"), "null"),
				chunk(delta(`{"content":"Hello"}`, "null"), "null"),
				chunk(delta(`{"content":" there"}`, "null"), "null"),
				chunk(delta(`{}`, `"stop"`), "null"),
				chunk(`[]`, usage),
				"[DONE]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.recording, func(t *testing.T) {
			rec := loadRecording(t, tt.recording)
			gen := piecesGen(9, tt.finish, "Hello", " there")
			srv := newServer(t, openai.Options{Generator: gen, ModelName: testModel, Keys: []openai.Key{{Token: "sk-test-key"}}})
			resp, body := post(t, srv, rec.Path, string(rec.Body), rec.Headers)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
			}

			got := gen.last(t)
			if !tt.seeded {
				got.Sampling.Seed = 0 // random when the request has none
			}
			if diff := cmp.Diff(tt.wantReq, got); diff != "" {
				t.Errorf("generator request (-want +got):\n%s", diff)
			}

			idPrefix := "chatcmpl-"
			if rec.Path == "/v1/completions" {
				idPrefix = "cmpl-"
			}
			if len(tt.want) == 1 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if diff := cmp.Diff(jsonMap(t, tt.want[0]), normalize(t, body, idPrefix, nil)); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("Content-Type = %q, want text/event-stream", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", cc)
			}
			events := readEvents(t, body)
			if len(events) != len(tt.want) {
				t.Fatalf("got %d events, want %d:\n%s", len(events), len(tt.want), body)
			}
			fp := ""
			var id string
			for i, ev := range events {
				if tt.want[i] == "[DONE]" {
					if ev != "[DONE]" {
						t.Errorf("event %d = %s, want [DONE]", i, ev)
					}
					continue
				}
				var idOnly struct{ ID string }
				_ = json.Unmarshal([]byte(ev), &idOnly)
				if id == "" {
					id = idOnly.ID
				} else if idOnly.ID != id {
					t.Errorf("event %d id = %q, want %q as in the first chunk", i, idOnly.ID, id)
				}
				if diff := cmp.Diff(jsonMap(t, tt.want[i]), normalize(t, []byte(ev), idPrefix, &fp)); diff != "" {
					t.Errorf("event %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestStreamWithoutUsage checks that chunks carry no usage field, and no
// usage chunk comes, when the client did not ask for usage; and the
// legacy completion stream's shape.
func TestStreamWithoutUsage(t *testing.T) {
	tests := []struct {
		name, path, body string
		want             []string
	}{
		{
			name: "chat", path: "/v1/chat/completions",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`,
			want: []string{
				`{"object":"chat.completion.chunk","model":"` + testModel + `","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
				`{"object":"chat.completion.chunk","model":"` + testModel + `","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}]}`,
				`{"object":"chat.completion.chunk","model":"` + testModel + `","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`,
			},
		},
		{
			name: "completion", path: "/v1/completions",
			body: `{"model":"m","prompt":"hi","stream":true}`,
			want: []string{
				`{"object":"text_completion","model":"` + testModel + `","choices":[{"text":"a","index":0,"logprobs":null,"finish_reason":null}]}`,
				`{"object":"text_completion","model":"` + testModel + `","choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}`,
			},
		},
		{
			name: "completion with usage", path: "/v1/completions",
			body: `{"model":"m","prompt":"hi","stream":true,"stream_options":{"include_usage":true}}`,
			want: []string{
				`{"object":"text_completion","model":"` + testModel + `","choices":[{"text":"a","index":0,"logprobs":null,"finish_reason":null}],"usage":null}`,
				`{"object":"text_completion","model":"` + testModel + `","choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
				`{"object":"text_completion","model":"` + testModel + `","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, openai.Options{Generator: piecesGen(3, "stop", "a"), ModelName: testModel})
			resp, body := post(t, srv, tt.path, tt.body, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, body %s", resp.StatusCode, body)
			}
			events := readEvents(t, body)
			if len(events) != len(tt.want)+1 || events[len(events)-1] != "[DONE]" {
				t.Fatalf("events = %q, want %d chunks and [DONE]", events, len(tt.want))
			}
			prefix := "chatcmpl-"
			if tt.path == "/v1/completions" {
				prefix = "cmpl-"
			}
			fp := ""
			for i, w := range tt.want {
				if diff := cmp.Diff(jsonMap(t, w), normalize(t, []byte(events[i]), prefix, &fp)); diff != "" {
					t.Errorf("event %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}
