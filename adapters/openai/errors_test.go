package openai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

const chatPath, completionPath = "/v1/chat/completions", "/v1/completions"

// TestBadRequests checks that what this server cannot do, and what is
// malformed, gets a 400 naming the parameter, and never reaches the model.
func TestBadRequests(t *testing.T) {
	user := `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name, path, body string
		param, code      string // "<null>" for null
	}{
		{"malformed JSON", chatPath, `{"model":"m",`, "<null>", "<null>"},
		{"not an object", chatPath, `[1,2]`, "<null>", "<null>"},
		{"two objects", chatPath, `{"model":"m",` + user + `}{}`, "<null>", "<null>"},
		{"no messages", chatPath, `{"model":"m"}`, "messages", "<null>"},
		{"empty messages", chatPath, `{"model":"m","messages":[]}`, "messages", "<null>"},
		{"tool role", chatPath, `{"messages":[{"role":"user","content":"hi"},{"role":"tool","content":"42","tool_call_id":"c1"}]}`, "messages[1].role", "unsupported_parameter"},
		{"function role", chatPath, `{"messages":[{"role":"function","name":"f","content":"42"}]}`, "messages[0].role", "unsupported_parameter"},
		{"unknown role", chatPath, `{"messages":[{"role":"wizard","content":"hi"}]}`, "messages[0].role", "<null>"},
		{"missing role", chatPath, `{"messages":[{"content":"hi"}]}`, "messages[0].role", "<null>"},
		{"user content null", chatPath, `{"messages":[{"role":"user","content":null}]}`, "messages[0].content", "<null>"},
		{"content a number", chatPath, `{"messages":[{"role":"user","content":5}]}`, "messages[0].content", "<null>"},
		{"image part", chatPath, `{"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "messages[0].content[1].type", "unsupported_parameter"},
		{"assistant tool calls", chatPath, `{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, "messages[0].tool_calls", "unsupported_parameter"},
		{"n 2", chatPath, `{` + user + `,"n":2}`, "n", "unsupported_parameter"},
		{"n 0", chatPath, `{` + user + `,"n":0}`, "n", "unsupported_parameter"},
		{"logprobs", chatPath, `{` + user + `,"logprobs":true}`, "logprobs", "unsupported_parameter"},
		{"top_logprobs", chatPath, `{` + user + `,"top_logprobs":2}`, "top_logprobs", "unsupported_parameter"},
		{"tools", chatPath, `{` + user + `,"tools":[{"type":"function","function":{"name":"f"}}]}`, "tools", "unsupported_parameter"},
		{"json mode", chatPath, `{` + user + `,"response_format":{"type":"json_object"}}`, "response_format.type", "unsupported_parameter"},
		{"logit bias", chatPath, `{` + user + `,"logit_bias":{"50256":-100}}`, "logit_bias", "unsupported_parameter"},
		{"five stops", chatPath, `{` + user + `,"stop":["a","b","c","d","e"]}`, "stop", "<null>"},
		{"stop a number", chatPath, `{` + user + `,"stop":5}`, "stop", "<null>"},
		{"temperature 3", chatPath, `{` + user + `,"temperature":3}`, "temperature", "<null>"},
		{"top_p 2", chatPath, `{` + user + `,"top_p":2}`, "top_p", "<null>"},
		{"max_tokens 0", chatPath, `{` + user + `,"max_tokens":0}`, "max_tokens", "<null>"},
		{"max_completion_tokens -1", chatPath, `{` + user + `,"max_completion_tokens":-1}`, "max_completion_tokens", "<null>"},
		{"frequency_penalty 3", chatPath, `{` + user + `,"frequency_penalty":3}`, "frequency_penalty", "<null>"},
		{"max_tokens a string", chatPath, `{` + user + `,"max_tokens":"16"}`, "<null>", "<null>"},
		{"knowledge without a handler", chatPath, `{` + user + `,"switchboard":{"knowledge":true}}`, "switchboard.knowledge", "unsupported_parameter"},
		{"no prompt", completionPath, `{"model":"m"}`, "prompt", "<null>"},
		{"two prompts", completionPath, `{"prompt":["a","b"]}`, "prompt", "unsupported_parameter"},
		{"two token prompts", completionPath, `{"prompt":[[1,2],[3]]}`, "prompt", "unsupported_parameter"},
		{"empty token prompt", completionPath, `{"prompt":[]}`, "prompt", "<null>"},
		{"prompt an object", completionPath, `{"prompt":{"a":1}}`, "prompt", "<null>"},
		{"completion n 3", completionPath, `{"prompt":"a","n":3}`, "n", "unsupported_parameter"},
		{"echo", completionPath, `{"prompt":"a","echo":true}`, "echo", "unsupported_parameter"},
		{"grounded completion", completionPath, `{"prompt":"a","switchboard":{"knowledge":true}}`, "switchboard", "unsupported_parameter"},
		{"best_of", completionPath, `{"prompt":"a","best_of":2}`, "best_of", "unsupported_parameter"},
		{"suffix", completionPath, `{"prompt":"a","suffix":"end"}`, "suffix", "unsupported_parameter"},
		{"completion logprobs", completionPath, `{"prompt":"a","logprobs":2}`, "logprobs", "unsupported_parameter"},
	}
	gen := piecesGen(1, "stop", "x")
	srv := newServer(t, openai.Options{Generator: gen})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv, tt.path, tt.body, nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", resp.StatusCode, body)
			}
			e := decodeError(t, body)
			if got, want := e.Error.Type, "invalid_request_error"; got != want {
				t.Errorf("type = %q, want %q", got, want)
			}
			if got := str(e.Error.Param); got != tt.param {
				t.Errorf("param = %s, want %s (message %q)", got, tt.param, e.Error.Message)
			}
			if got := str(e.Error.Code); got != tt.code {
				t.Errorf("code = %s, want %s", got, tt.code)
			}
		})
	}
	if len(gen.reqs) != 0 {
		t.Errorf("the generator ran %d times for refused requests", len(gen.reqs))
	}
}

// TestAccepted checks the variants that must be accepted, and what the
// generator gets for them.
func TestAccepted(t *testing.T) {
	tests := []struct {
		name, path, body string
		check            func(t *testing.T, r engine.Request)
	}{
		{"unknown fields ignored", chatPath, `{"messages":[{"role":"user","content":"hi","name":"bob"}],"parallel_tool_calls":false,"store":false,"metadata":{"a":"b"},"x_future":1}`, nil},
		{"n 1 and null fields", chatPath, `{"messages":[{"role":"user","content":"hi"}],"n":1,"stop":null,"tools":[],"logprobs":false,"response_format":{"type":"text"},"logit_bias":{}}`, func(t *testing.T, r engine.Request) {
			if r.Stop != nil {
				t.Errorf("Stop = %q, want none", r.Stop)
			}
		}},
		{"stop string", chatPath, `{"messages":[{"role":"user","content":"hi"}],"stop":"###"}`, func(t *testing.T, r engine.Request) {
			if diff := cmp.Diff([]string{"###"}, r.Stop); diff != "" {
				t.Errorf("Stop (-want +got):\n%s", diff)
			}
		}},
		{"four stops, empty dropped", chatPath, `{"messages":[{"role":"user","content":"hi"}],"stop":["a","","b","c"]}`, func(t *testing.T, r engine.Request) {
			if diff := cmp.Diff([]string{"a", "b", "c"}, r.Stop); diff != "" {
				t.Errorf("Stop (-want +got):\n%s", diff)
			}
		}},
		{"max_completion_tokens wins", chatPath, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":5,"max_completion_tokens":7}`, func(t *testing.T, r engine.Request) {
			if r.MaxTokens != 7 {
				t.Errorf("MaxTokens = %d, want 7", r.MaxTokens)
			}
		}},
		{"top_p 0 is greedy", chatPath, `{"messages":[{"role":"user","content":"hi"}],"top_p":0}`, func(t *testing.T, r engine.Request) {
			if r.Sampling.Temperature != 0 {
				t.Errorf("Temperature = %g, want 0", r.Sampling.Temperature)
			}
		}},
		{"vLLM extras", chatPath, `{"messages":[{"role":"user","content":"hi"}],"top_k":5,"min_p":0.1,"repetition_penalty":1.1,"frequency_penalty":0.5,"presence_penalty":-1}`, func(t *testing.T, r engine.Request) {
			want := engine.Sampling{Temperature: 1, TopK: 5, MinP: 0.1, RepetitionPenalty: 1.1, Seed: r.Sampling.Seed}
			if diff := cmp.Diff(want, r.Sampling); diff != "" {
				t.Errorf("Sampling (-want +got):\n%s", diff)
			}
		}},
		{"assistant content null", chatPath, `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":"c"}]}]}`, func(t *testing.T, r engine.Request) {
			want := []engine.ChatMessage{{Role: "user", Content: "a"}, {Role: "assistant", Content: ""}, {Role: "user", Content: "b\nc"}}
			if diff := cmp.Diff(want, r.Messages); diff != "" {
				t.Errorf("Messages (-want +got):\n%s", diff)
			}
		}},
		{"token ids", completionPath, `{"prompt":[1,2,3]}`, func(t *testing.T, r engine.Request) {
			if diff := cmp.Diff([]int{1, 2, 3}, r.IDs); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		}},
		{"one list of token ids", completionPath, `{"prompt":[[4,5]]}`, func(t *testing.T, r engine.Request) {
			if diff := cmp.Diff([]int{4, 5}, r.IDs); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		}},
		{"one string in a list", completionPath, `{"prompt":["once"],"best_of":1,"suffix":null,"logprobs":null}`, func(t *testing.T, r engine.Request) {
			if r.Prompt != "once" {
				t.Errorf("Prompt = %q, want once", r.Prompt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen := piecesGen(1, "stop", "x")
			srv := newServer(t, openai.Options{Generator: gen})
			resp, body := post(t, srv, tt.path, tt.body, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
			}
			if tt.check != nil {
				tt.check(t, gen.last(t))
			}
		})
	}
}

// TestSeedIsRandomWithoutSeed checks that two requests without a seed do
// not sample the same stream (OpenAI's default is non-deterministic).
func TestSeedIsRandomWithoutSeed(t *testing.T) {
	gen := piecesGen(1, "stop", "x")
	srv := newServer(t, openai.Options{Generator: gen})
	for range 2 {
		post(t, srv, chatPath, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	}
	if gen.reqs[0].Sampling.Seed == gen.reqs[1].Sampling.Seed {
		t.Errorf("two requests without a seed both got seed %d", gen.reqs[0].Sampling.Seed)
	}
}

// TestAuth checks Bearer keys: 401 in OpenAI's shape without one or with
// a wrong one, and an open API when no keys are configured.
func TestAuth(t *testing.T) {
	keys := []openai.Key{{Token: "sk-one"}, {Name: "team-b", Token: "sk-two"}}
	body := `{"messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name   string
		keys   []openai.Key
		header string
		want   int
	}{
		{"open API, no header", nil, "", http.StatusOK},
		{"open API, any key", nil, "Bearer whatever", http.StatusOK},
		{"no header", keys, "", http.StatusUnauthorized},
		{"wrong key", keys, "Bearer sk-three", http.StatusUnauthorized},
		{"prefix of a key", keys, "Bearer sk-on", http.StatusUnauthorized},
		{"key with a suffix", keys, "Bearer sk-onee", http.StatusUnauthorized},
		{"no scheme", keys, "sk-one", http.StatusUnauthorized},
		{"basic scheme", keys, "Basic sk-one", http.StatusUnauthorized},
		{"empty bearer", keys, "Bearer ", http.StatusUnauthorized},
		{"first key", keys, "Bearer sk-one", http.StatusOK},
		{"second key", keys, "Bearer sk-two", http.StatusOK},
		{"lower-case scheme", keys, "bearer sk-two", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, openai.Options{Generator: piecesGen(1, "stop", "x"), Keys: tt.keys})
			for _, path := range []string{chatPath, "/v1/models"} {
				h := map[string]string{}
				if tt.header != "" {
					h["Authorization"] = tt.header
				}
				method, b := http.MethodPost, body
				if path == "/v1/models" {
					method, b = http.MethodGet, ""
				}
				resp, got := do(t, srv, method, path, b, h)
				if resp.StatusCode != tt.want {
					t.Fatalf("%s %s status = %d, want %d; body %s", method, path, resp.StatusCode, tt.want, got)
				}
				if tt.want == http.StatusUnauthorized {
					e := decodeError(t, got)
					if e.Error.Type != "invalid_request_error" || str(e.Error.Code) != "invalid_api_key" {
						t.Errorf("error = %+v, want invalid_request_error/invalid_api_key", e.Error)
					}
				}
			}
		})
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for _, keys := range [][]openai.Key{{{Token: ""}}, {{Token: "a"}, {Token: "a"}}} {
		if _, err := openai.New(openai.Options{Keys: keys}); err == nil {
			t.Errorf("New(Keys: %+v) = nil error, want one", keys)
		}
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestRateLimit checks each key's token bucket: a minute's requests may
// come at once, the next gets 429 with Retry-After, tokens come back with
// time, and keys do not share buckets.
func TestRateLimit(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	srv := newServer(t, openai.Options{
		Generator: piecesGen(1, "stop", "x"),
		Keys:      []openai.Key{{Token: "sk-slow", RateLimit: 2}, {Token: "sk-free"}},
		Now:       clock.Now,
	})
	call := func(key string) *http.Response {
		resp, body := post(t, srv, chatPath, `{"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": "Bearer " + key})
		if resp.StatusCode == http.StatusTooManyRequests {
			e := decodeError(t, body)
			if str(e.Error.Code) != "rate_limit_exceeded" {
				t.Errorf("429 code = %s, want rate_limit_exceeded", str(e.Error.Code))
			}
		}
		return resp
	}
	steps := []struct {
		advance    time.Duration
		key        string
		want       int
		retryAfter string
	}{
		{0, "sk-slow", 200, ""},
		{0, "sk-slow", 200, ""},
		{0, "sk-slow", 429, "30"}, // 2 a minute: one token every 30 s
		{0, "sk-free", 200, ""},   // no limit on the other key
		{10 * time.Second, "sk-slow", 429, "20"},
		{20 * time.Second, "sk-slow", 200, ""},
		{0, "sk-slow", 429, "30"},
		{5 * time.Minute, "sk-slow", 200, ""}, // the bucket holds at most 2
		{0, "sk-slow", 200, ""},
		{0, "sk-slow", 429, "30"},
	}
	for i, s := range steps {
		clock.advance(s.advance)
		resp := call(s.key)
		if resp.StatusCode != s.want {
			t.Fatalf("step %d: status = %d, want %d", i, resp.StatusCode, s.want)
		}
		if got := resp.Header.Get("Retry-After"); got != s.retryAfter {
			t.Errorf("step %d: Retry-After = %q, want %q", i, got, s.retryAfter)
		}
		if s.key == "sk-slow" && resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" {
			t.Errorf("step %d: X-Ratelimit-Limit-Requests = %q, want 2", i, resp.Header.Get("X-Ratelimit-Limit-Requests"))
		}
	}
}

// TestLimitsAndMethods checks the body size limit, wrong methods, model
// routes and the 503 when no model is loaded.
func TestLimitsAndMethods(t *testing.T) {
	gen := piecesGen(1, "stop", "x")
	srv := newServer(t, openai.Options{Generator: gen, ModelName: testModel, MaxBodyBytes: 200, Created: time.Unix(1_700_000_000, 0)})
	noModel := newServer(t, openai.Options{})
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 300) + `"}]}`
	tests := []struct {
		name         string
		srv          *httptest.Server
		method, path string
		body         string
		want         int
		code         string
		allow        string
	}{
		{"body over the limit", srv, "POST", chatPath, big, 413, "request_too_large", ""},
		{"completion body over the limit", srv, "POST", completionPath, `{"prompt":"` + strings.Repeat("a", 300) + `"}`, 413, "request_too_large", ""},
		{"GET chat", srv, "GET", chatPath, "", 405, "method_not_allowed", "POST"},
		{"PUT completions", srv, "PUT", completionPath, "", 405, "method_not_allowed", "POST"},
		{"POST models", srv, "POST", "/v1/models", "{}", 405, "method_not_allowed", "GET"},
		{"unknown model", srv, "GET", "/v1/models/gpt-4o", "", 404, "model_not_found", ""},
		{"no model: chat", noModel, "POST", chatPath, `{"messages":[{"role":"user","content":"hi"}]}`, 503, "model_not_loaded", ""},
		{"no model: completions", noModel, "POST", completionPath, `{"prompt":"hi"}`, 503, "model_not_loaded", ""},
		{"no model: models", noModel, "GET", "/v1/models", "", 503, "model_not_loaded", ""},
		{"no model: one model", noModel, "GET", "/v1/models/x", "", 503, "model_not_loaded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.srv, tt.method, tt.path, tt.body, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.want, body)
			}
			if e := decodeError(t, body); str(e.Error.Code) != tt.code {
				t.Errorf("code = %s, want %s", str(e.Error.Code), tt.code)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
	if len(gen.reqs) != 0 {
		t.Errorf("the generator ran %d times", len(gen.reqs))
	}

	model := `{"id":"` + testModel + `","object":"model","created":1700000000,"owned_by":"switchboard"}`
	for path, want := range map[string]string{
		"/v1/models":              `{"object":"list","data":[` + model + `]}`,
		"/v1/models/" + testModel: model,
	} {
		resp, body := do(t, srv, "GET", path, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s status = %d; body %s", path, resp.StatusCode, body)
		}
		if diff := cmp.Diff(jsonMap(t, want), jsonMap(t, string(body))); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, diff)
		}
	}
}

// TestGenerateErrors checks how generation failures are answered: a
// prompt over the context is the client's 400, anything else a 500, and a
// failure after a stream started an error event before [DONE].
func TestGenerateErrors(t *testing.T) {
	failing := func(pieces int, err error) *fakeGen {
		return &fakeGen{fn: func(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
			for range pieces {
				if e := onToken("x"); e != nil {
					return engine.Result{}, e
				}
			}
			return engine.Result{}, err
		}}
	}
	ctxErr := fmt.Errorf("generate: prompt of 9000 tokens: %w (2048)", engine.ErrContext)
	tests := []struct {
		name   string
		gen    *fakeGen
		stream bool
		status int
		code   string
	}{
		{"context exceeded", failing(0, ctxErr), false, 400, "context_length_exceeded"},
		{"context exceeded, streamed", failing(0, ctxErr), true, 400, "context_length_exceeded"},
		{"model broken", failing(0, fmt.Errorf("generate: %w", engine.ErrShape)), false, 500, "<null>"},
		{"model closed", failing(0, fmt.Errorf("generate: %w", engine.ErrClosed)), false, 503, "model_not_loaded"},
		{"failure mid-stream", failing(2, fmt.Errorf("generate: %w", engine.ErrShape)), true, 200, "<null>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, openai.Options{Generator: tt.gen})
			resp, body := post(t, srv, chatPath, `{"messages":[{"role":"user","content":"hi"}],"stream":`+strconv.FormatBool(tt.stream)+`}`, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if e := decodeError(t, body); str(e.Error.Code) != tt.code {
					t.Errorf("code = %s, want %s", str(e.Error.Code), tt.code)
				}
				return
			}
			events := readEvents(t, body)
			// role, x, x, error, [DONE]
			if len(events) != 5 || events[4] != "[DONE]" {
				t.Fatalf("events = %q, want role, two pieces, an error and [DONE]", events)
			}
			e := decodeError(t, []byte(events[3]))
			if e.Error.Type != "server_error" {
				t.Errorf("error event type = %q, want server_error", e.Error.Type)
			}
		})
	}
}
