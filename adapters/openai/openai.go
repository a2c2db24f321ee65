// Package openai serves an OpenAI-compatible API over the embedded
// decoder, so that code written for the OpenAI SDKs, LangChain or plain
// curl talks to Switchboard by changing only the base URL (as with
// llama.cpp's server, Ollama and vLLM).
//
// # Routes
//
//	POST /v1/chat/completions   chat, streamed or not
//	POST /v1/completions        legacy text completion, streamed or not
//	GET  /v1/models             the loaded model
//	GET  /v1/models/{id}        one model
//
// Responses have OpenAI's shapes field for field (chat.completion,
// chat.completion.chunk, text_completion, list/model), and every error is
// OpenAI's {"error": {"message", "type", "param", "code"}} with the status
// OpenAI would use: 400 for a malformed or unsupported request, 401 for a
// missing or wrong key, 404 for an unknown model id, 405 for a wrong
// method, 413 for a body over the limit, 429 (with Retry-After) over a
// key's rate limit, 500 when generation fails, 503 when no model is loaded.
//
// # What is and is not supported
//
// One choice per request: n other than 1, several prompts, best_of other
// than 1, echo, suffix, logprobs, tools and function calls, non-text
// content parts and JSON response formats are refused with a 400 that
// names the parameter. The model field is accepted whatever it says (the
// loaded model answers, and responses name it), as llama.cpp does.
// temperature defaults to 1 as with OpenAI; presence_penalty and
// frequency_penalty are validated and ignored (see sampling.apply);
// top_k, min_p and repetition_penalty are read as vLLM does. Unknown
// fields are ignored, because SDKs send fields a server may not know.
//
// # Grounded answers
//
// A chat request with "switchboard": {"knowledge": true} is answered by
// the conversation pipeline (retrieval, grounding, citations, handoff)
// instead of the raw model: the last user message is the question, and the
// response carries a "switchboard": {"citations", "fallback", "handoff"}
// object next to the choices (in the last chunk when streamed). The
// pipeline keeps its own history per session; see address for how a
// request maps to one.
//
// # Keys
//
// With Options.Keys set, every request needs "Authorization: Bearer
// <token>" naming one of them, compared in constant time, and each key has
// its own rate limit. With no keys the API is open to anyone who can reach
// it; the caller should say so in its log.
package openai

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/conversation"
	"github.com/switchboard/switchboard/engine"
)

// Platform is the adapter's name and the Platform of its conversation
// addresses.
const Platform = "openai"

// Defaults for zero Options fields.
const (
	DefaultModelName    = "switchboard"
	DefaultMaxBodyBytes = 1 << 20
)

// A Key is one API key.
type Key struct {
	// Name identifies the key in logs and in conversation addresses
	// without revealing it. Empty means "key-" and the first 8 hex digits
	// of the token's SHA-256.
	Name string
	// Token is the secret a client sends as "Authorization: Bearer <Token>".
	Token string
	// RateLimit is how many requests a minute the key may make; all of a
	// minute's requests may come at once. Zero or negative means no limit.
	RateLimit int
}

// Options configure an API. The zero value serves an open API that
// answers 503 (no model loaded) to every generation request.
type Options struct {
	// Generator writes the text. Nil means no model is loaded: generation
	// routes answer 503 (grounded chat requests still work when Handler
	// is set).
	Generator engine.Generator
	// ModelName is the id GET /v1/models lists and responses name. Empty
	// means the model file's name when Generator is an *engine.Model
	// (see ModelName), otherwise DefaultModelName.
	ModelName string
	// Created is the model's "created" time in GET /v1/models. The zero
	// value means when New was called.
	Created time.Time
	// Keys are the accepted API keys. None means the API is open.
	Keys []Key
	// MaxBodyBytes bounds a request body. Zero or negative means
	// DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// DefaultMaxTokens is the generation length of a request without
	// max_tokens. Zero or negative means the engine's default
	// (engine.DefaultMaxTokens); the model's context bounds it either way.
	DefaultMaxTokens int
	// Handler answers grounded chat requests ("switchboard":
	// {"knowledge": true}). Nil means such requests get a 400.
	Handler conversation.Handler
	// Logger receives request failures. Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of rate limits and timestamps. Nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.ModelName == "" {
		o.ModelName = DefaultModelName
		if m, ok := o.Generator.(*engine.Model); ok && m != nil {
			o.ModelName = ModelName(m)
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.DefaultMaxTokens < 0 {
		o.DefaultMaxTokens = 0
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Created.IsZero() {
		o.Created = o.Now()
	}
	return o
}

// ModelName is the name GET /v1/models gives m: its file or folder name
// without the extension ("qwen2.5-0.5b-instruct-q8_0").
func ModelName(m *engine.Model) string {
	base := filepath.Base(filepath.Clean(m.Info.Path))
	if name := strings.TrimSuffix(base, filepath.Ext(base)); name != "" && name != "." && name != string(filepath.Separator) {
		return name
	}
	return DefaultModelName
}

// An API serves the OpenAI-compatible routes. It implements bot.Adapter;
// create it with New. Its methods are safe for concurrent use, and it
// starts no goroutines of its own: each request's work runs in the
// request's goroutine and stops when the client goes away.
type API struct {
	opts        Options
	log         *slog.Logger
	keys        []apiKey
	fingerprint string
	contextLen  int // the model's context length, 0 when unknown
}

// apiKey is a configured key, ready for constant-time comparison.
type apiKey struct {
	name   string
	digest [sha256.Size]byte // of the token
	bucket *bucket           // nil: no limit
}

// bot.Adapter, restated because bot imports this package (pin_test pins
// the real one).
var _ interface {
	Name() string
	Register(*http.ServeMux)
} = (*API)(nil)

// New returns an API for o. It fails when two keys share a token or a
// key's token is empty.
func New(o Options) (*API, error) {
	o = o.withDefaults()
	a := &API{opts: o, log: o.Logger.WithGroup(Platform)}
	seen := map[[sha256.Size]byte]bool{}
	for i, k := range o.Keys {
		if k.Token == "" {
			return nil, fmt.Errorf("new openai api: key %d has an empty token", i)
		}
		d := sha256.Sum256([]byte(k.Token))
		if seen[d] {
			return nil, fmt.Errorf("new openai api: key %d repeats an earlier token", i)
		}
		seen[d] = true
		name := k.Name
		if name == "" {
			name = "key-" + hex.EncodeToString(d[:4])
		}
		ak := apiKey{name: name, digest: d}
		if k.RateLimit > 0 {
			ak.bucket = newBucket(k.RateLimit, o.Now())
		}
		a.keys = append(a.keys, ak)
	}
	fp := sha256.Sum256([]byte(o.ModelName))
	a.fingerprint = "fp_" + hex.EncodeToString(fp[:5])
	if m, ok := o.Generator.(*engine.Model); ok && m != nil {
		a.contextLen = m.Config.Context
	}
	return a, nil
}

// Name returns "openai".
func (a *API) Name() string { return Platform }

// Register adds the routes to mux. The patterns carry no method, so that
// a wrong method gets OpenAI's error shape rather than the mux's text.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("/v1/chat/completions", a.route(http.MethodPost, a.serveChat))
	mux.Handle("/v1/completions", a.route(http.MethodPost, a.serveCompletion))
	mux.Handle("/v1/models", a.route(http.MethodGet, a.serveModels))
	mux.Handle("/v1/models/{id...}", a.route(http.MethodGet, a.serveModel))
}

// A handler serves one route for an authenticated caller; key is nil when
// the API is open.
type handler func(w http.ResponseWriter, r *http.Request, key *apiKey)

// route checks the method, the key and its rate limit, then calls h.
func (a *API) route(method string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, &Error{Status: http.StatusMethodNotAllowed, Type: typeInvalidRequest, Code: ptr("method_not_allowed"),
				Message: fmt.Sprintf("Method %s is not allowed on %s; use %s.", r.Method, r.URL.Path, method)})
			return
		}
		key, e := a.authenticate(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if key != nil && key.bucket != nil {
			ok, remaining, wait := key.bucket.take(a.opts.Now())
			h := w.Header()
			h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(int(key.bucket.burst)))
			h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(remaining))
			if !ok {
				secs := retryAfter(wait)
				h.Set("Retry-After", strconv.Itoa(secs))
				writeError(w, &Error{Status: http.StatusTooManyRequests, Type: typeRateLimit, Code: ptr("rate_limit_exceeded"),
					Message: fmt.Sprintf("Rate limit reached for key %s: %d requests per minute. Please try again in %ds.", key.name, int(key.bucket.burst), secs)})
				return
			}
		}
		h(w, r, key)
	})
}

// authenticate finds the key r presents. Every configured key is compared,
// in constant time, whatever the outcome.
func (a *API) authenticate(r *http.Request) (*apiKey, *Error) {
	if len(a.keys) == 0 {
		return nil, nil
	}
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, errUnauthorized("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(token)))
	found := -1
	for i := range a.keys {
		if subtle.ConstantTimeCompare(d[:], a.keys[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		// Logged without the token, so that key guessing is seen.
		a.log.Warn("API key refused", "remote", r.RemoteAddr)
		return nil, errUnauthorized("Incorrect API key provided.")
	}
	return &a.keys[found], nil
}

// readBody reads r's body within the size limit.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Type: typeInvalidRequest, Code: ptr("request_too_large"),
				Message: fmt.Sprintf("The request body is over the limit of %d bytes.", tooBig.Limit)}
		}
		return nil, badRequest("", "The request body could not be read.")
	}
	return body, nil
}

// serveChat serves POST /v1/chat/completions.
func (a *API) serveChat(w http.ResponseWriter, r *http.Request, key *apiKey) {
	body, e := a.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	c, e := parseChat(body, a.opts)
	if e != nil {
		writeError(w, e)
		return
	}
	if c.grounded != nil {
		a.serveGrounded(w, r, key, c)
		return
	}
	a.generate(w, r, c, a.chatFormat(c))
}

// serveCompletion serves POST /v1/completions.
func (a *API) serveCompletion(w http.ResponseWriter, r *http.Request, _ *apiKey) {
	if a.opts.Generator == nil {
		writeError(w, errNotReady())
		return
	}
	body, e := a.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	c, e := parseCompletion(body, a.opts)
	if e != nil {
		writeError(w, e)
		return
	}
	a.generate(w, r, c, textFormat{a: a, id: "cmpl-" + newID(), created: a.opts.Now().Unix(), includeUsage: c.includeUsage})
}

// promptChecker is implemented by generators that can check a prompt
// before generating (*engine.Model), so that token ids outside the
// vocabulary are the client's error, not the server's.
type promptChecker interface {
	PromptIDs(engine.Request) ([]int, error)
}

// generate runs c on the Generator and answers in format f.
func (a *API) generate(w http.ResponseWriter, r *http.Request, c call, f format) {
	gen := a.opts.Generator
	if gen == nil {
		writeError(w, errNotReady())
		return
	}
	if pc, ok := gen.(promptChecker); ok && len(c.gen.IDs) > 0 {
		if _, err := pc.PromptIDs(c.gen); err != nil {
			writeError(w, badRequest("prompt", "Invalid 'prompt': %v.", err))
			return
		}
	}
	if c.stream {
		a.generateStream(w, r, c, f)
		return
	}
	res, err := gen.Generate(r.Context(), c.gen, nil)
	if err != nil {
		if e := a.generateError(r, err); e != nil {
			writeError(w, e)
		}
		return
	}
	writeJSON(w, http.StatusOK, f.whole(res.Text, res.FinishReason, newUsage(res.PromptTokens, res.GeneratedTokens), nil))
}

// generateError is the API error for a failed generation, or nil when the
// client has gone and there is nobody to tell.
func (a *API) generateError(r *http.Request, err error) *Error {
	switch {
	case r.Context().Err() != nil:
		a.log.Debug("client went away during generation", "path", r.URL.Path, "err", err)
		return nil
	case errors.Is(err, engine.ErrContext):
		e := badRequest("messages", "This model's maximum context length is exceeded by the prompt and the requested tokens (%v). Please shorten the prompt or lower max_tokens.", err)
		if r.URL.Path == "/v1/completions" {
			e.Param = ptr("prompt")
		}
		e.Code = ptr("context_length_exceeded")
		return e
	case errors.Is(err, engine.ErrClosed):
		return errNotReady()
	}
	a.log.Error("generation failed", "path", r.URL.Path, "err", err)
	return errServer("The model failed while generating text.")
}

// serveModels serves GET /v1/models.
func (a *API) serveModels(w http.ResponseWriter, r *http.Request, _ *apiKey) {
	if a.opts.Generator == nil {
		writeError(w, errNotReady())
		return
	}
	writeJSON(w, http.StatusOK, ModelList{Object: objectList, Data: []Model{a.model()}})
}

// serveModel serves GET /v1/models/{id}.
func (a *API) serveModel(w http.ResponseWriter, r *http.Request, _ *apiKey) {
	if a.opts.Generator == nil {
		writeError(w, errNotReady())
		return
	}
	id := r.PathValue("id")
	if id != a.opts.ModelName {
		writeError(w, &Error{Status: http.StatusNotFound, Type: typeInvalidRequest, Param: ptr("model"), Code: ptr("model_not_found"),
			Message: fmt.Sprintf("The model '%s' does not exist. This server has '%s'.", id, a.opts.ModelName)})
		return
	}
	writeJSON(w, http.StatusOK, a.model())
}

func (a *API) model() Model {
	return Model{ID: a.opts.ModelName, Object: objectModel, Created: a.opts.Created.Unix(), OwnedBy: "switchboard", MaxModelLen: a.contextLen}
}

// newID returns 24 random hex digits for a response id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func (a *API) chatFormat(c call) chatFormat {
	return chatFormat{a: a, id: "chatcmpl-" + newID(), created: a.opts.Now().Unix(), includeUsage: c.includeUsage}
}
