package openai_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard/switchboard/adapters/openai"
	"github.com/switchboard/switchboard/engine"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeGen is a Generator made of a function; it remembers the requests it
// got.
type fakeGen struct {
	fn func(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error)

	mu   sync.Mutex
	reqs []engine.Request
}

func (g *fakeGen) Generate(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
	g.mu.Lock()
	g.reqs = append(g.reqs, req)
	g.mu.Unlock()
	return g.fn(ctx, req, onToken)
}

func (g *fakeGen) last(t *testing.T) engine.Request {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.reqs) == 0 {
		t.Fatal("the generator was not called")
	}
	return g.reqs[len(g.reqs)-1]
}

// piecesGen answers every request with pieces, as a model would: each piece
// through onToken, the prompt counted as promptTokens, one token a piece.
func piecesGen(promptTokens int, finish string, pieces ...string) *fakeGen {
	return &fakeGen{fn: func(ctx context.Context, req engine.Request, onToken func(string) error) (engine.Result, error) {
		res := engine.Result{PromptTokens: promptTokens, FinishReason: finish}
		for i, p := range pieces {
			if onToken != nil {
				if err := onToken(p); err != nil {
					return res, err
				}
			}
			res.Text += p
			res.IDs = append(res.IDs, i)
			res.GeneratedTokens++
		}
		return res, nil
	}}
}

// newServer serves an API for o on a test server.
func newServer(t *testing.T, o openai.Options) *httptest.Server {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	api, err := openai.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to path with headers and returns the response and its
// body.
func post(t *testing.T, srv *httptest.Server, path, body string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	return do(t, srv, http.MethodPost, path, body, headers)
}

func do(t *testing.T, srv *httptest.Server, method, path, body string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return resp, b
}

// apiError is OpenAI's error body, decoded strictly enough to check every
// field is there.
type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// decodeError checks b is OpenAI's error shape, with exactly its four
// fields, and returns it.
func decodeError(t *testing.T, b []byte) apiError {
	t.Helper()
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	inner, ok := raw["error"]
	if !ok || len(raw) != 1 {
		t.Fatalf("error body %s: want exactly one key, error", b)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := inner[k]; !ok {
			t.Errorf("error body %s: no %q field", b, k)
		}
	}
	if len(inner) != 4 {
		t.Errorf("error body %s: %d fields, want 4", b, len(inner))
	}
	var e apiError
	_ = json.Unmarshal(b, &e)
	if e.Error.Message == "" {
		t.Errorf("error body %s: empty message", b)
	}
	return e
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// readEvents splits an SSE body into its data payloads, following the
// rules SDKs use: only "data:" lines, one optional space stripped.
func readEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	blank := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			blank = true
			continue
		}
		if !blank {
			t.Fatalf("event without a blank line before it: %q in\n%s", line, body)
		}
		blank = false
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			t.Fatalf("line %q is not a data line in\n%s", line, body)
		}
		out = append(out, strings.TrimPrefix(data, " "))
	}
	return out
}
