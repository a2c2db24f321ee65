package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/switchboard/switchboard/engine"
)

// Limits on what a request may ask for.
const (
	// MaxStops is the number of stop strings OpenAI allows.
	MaxStops = 4
	// MaxMessages is the longest chat a request may carry.
	MaxMessages = 1024
)

// A call is a parsed request: what to generate and how to answer.
type call struct {
	gen          engine.Request
	stream       bool
	includeUsage bool
	user         string
	grounded     *switchboardOptions // set for a knowledge request
	messages     []engine.ChatMessage
}

// decode reads body into v, refusing anything but one JSON object.
func decode(body []byte, v any) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badRequest("", "We could not parse the JSON body of your request (%v). The OpenAI API expects a JSON payload.", err)
	}
	if dec.More() {
		return badRequest("", "We could not parse the JSON body of your request: data after the JSON object.")
	}
	return nil
}

// parseChat reads a chat completion request.
func parseChat(body []byte, o Options) (call, *Error) {
	var req chatRequest
	if e := decode(body, &req); e != nil {
		return call{}, e
	}
	c := call{stream: req.Stream, user: req.User}
	if req.Switchboard != nil && req.Switchboard.Knowledge {
		c.grounded = req.Switchboard
	}
	if len(req.Messages) == 0 {
		return c, badRequest("messages", "'messages' must be a non-empty array of messages.")
	}
	if len(req.Messages) > MaxMessages {
		return c, badRequest("messages", "'messages' has %d messages; the limit is %d.", len(req.Messages), MaxMessages)
	}
	for i, m := range req.Messages {
		msg, e := parseMessage(i, m)
		if e != nil {
			return c, e
		}
		c.messages = append(c.messages, msg)
	}
	if nonEmpty(req.Tools) || nonEmpty(req.Functions) {
		return c, unsupported("tools", "Tools and function calling are not supported by this server.")
	}
	if present(req.TopLogprobs) {
		return c, unsupported("top_logprobs", "Logprobs are not supported by this server.")
	}
	if e := checkResponseFormat(req.ResponseFormat); e != nil {
		return c, e
	}
	maxTokens, param := req.MaxTokens, "max_tokens"
	if req.MaxCompletionTokens != nil {
		maxTokens, param = req.MaxCompletionTokens, "max_completion_tokens"
	}
	var e *Error
	if c.gen.MaxTokens, e = parseMaxTokens(param, maxTokens, o.DefaultMaxTokens); e != nil {
		return c, e
	}
	if e := req.sampling.apply(&c); e != nil {
		return c, e
	}
	c.gen.Messages = c.messages
	return c, nil
}

// parseMessage reads messages[i].
func parseMessage(i int, m chatMessageIn) (engine.ChatMessage, *Error) {
	param := fmt.Sprintf("messages[%d]", i)
	role := m.Role
	switch role {
	case "system", "user", "assistant":
	case "developer":
		role = "system" // OpenAI's newer name for system instructions
	case "tool", "function":
		return engine.ChatMessage{}, unsupported(param+".role", "Messages with role '%s' are not supported: this server does not do tool or function calling.", role)
	case "":
		return engine.ChatMessage{}, badRequest(param+".role", "Missing required parameter: '%s.role'.", param)
	default:
		return engine.ChatMessage{}, badRequest(param+".role", "Invalid value: '%s'. Supported values are: 'system', 'developer', 'user' and 'assistant'.", role)
	}
	if present(m.ToolCalls) {
		return engine.ChatMessage{}, unsupported(param+".tool_calls", "Tool calls are not supported by this server.")
	}
	text, e := parseContent(param+".content", m.Content, role == "assistant")
	if e != nil {
		return engine.ChatMessage{}, e
	}
	return engine.ChatMessage{Role: role, Content: text}, nil
}

// parseContent reads a message's content: a string, or a list of text
// parts that are joined with newlines. An assistant message may have
// null content.
func parseContent(param string, raw json.RawMessage, nullable bool) (string, *Error) {
	if !present(raw) {
		if nullable {
			return "", nil
		}
		return "", badRequest(param, "Missing required parameter: '%s'.", param)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []contentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(param, "Invalid type for '%s': expected a string or an array of content parts.", param)
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		if p.Type != "text" {
			return "", unsupported(fmt.Sprintf("%s[%d].type", param, j), "Content parts of type '%s' are not supported: this server reads text only.", p.Type)
		}
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), nil
}

// checkResponseFormat accepts only plain text output.
func checkResponseFormat(raw json.RawMessage) *Error {
	if !present(raw) {
		return nil
	}
	var rf struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return badRequest("response_format", "Invalid type for 'response_format': expected an object.")
	}
	if rf.Type != "" && rf.Type != "text" {
		return unsupported("response_format.type", "response_format '%s' is not supported: this server writes plain text only.", rf.Type)
	}
	return nil
}

// parseCompletion reads a legacy completion request.
func parseCompletion(body []byte, o Options) (call, *Error) {
	var req completionRequest
	if e := decode(body, &req); e != nil {
		return call{}, e
	}
	c := call{stream: req.Stream, user: req.User}
	var e *Error
	if c.gen.Prompt, c.gen.IDs, e = parsePrompt(req.Prompt); e != nil {
		return c, e
	}
	if req.Echo {
		return c, unsupported("echo", "'echo' is not supported by this server.")
	}
	if present(req.Switchboard) {
		// Ignored, it returned the raw model's text to a client that
		// asked for grounded answers.
		return c, unsupported("switchboard", "'switchboard' options (grounded answers) are for /v1/chat/completions.")
	}
	if req.BestOf != nil && *req.BestOf != 1 {
		return c, unsupported("best_of", "best_of must be 1: this server generates one completion per request.")
	}
	if present(req.Suffix) && string(req.Suffix) != `""` {
		return c, unsupported("suffix", "'suffix' is not supported by this server.")
	}
	if c.gen.MaxTokens, e = parseMaxTokens("max_tokens", req.MaxTokens, o.DefaultMaxTokens); e != nil {
		return c, e
	}
	if e := req.sampling.apply(&c); e != nil {
		return c, e
	}
	return c, nil
}

// parsePrompt reads a completion prompt: a string, a list of one string,
// a list of token ids or a list of one list of token ids. More than one
// prompt would need n>1 choices, which this server does not produce.
func parsePrompt(raw json.RawMessage) (string, []int, *Error) {
	if !present(raw) {
		return "", nil, badRequest("prompt", "Missing required parameter: 'prompt'.")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, nil
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil {
		if len(ids) == 0 {
			return "", nil, badRequest("prompt", "'prompt' is an empty list of tokens.")
		}
		return "", ids, nil
	}
	var strs []string
	if json.Unmarshal(raw, &strs) == nil {
		if len(strs) != 1 {
			return "", nil, unsupported("prompt", "'prompt' has %d prompts; this server completes exactly one per request.", len(strs))
		}
		return strs[0], nil, nil
	}
	var lists [][]int
	if json.Unmarshal(raw, &lists) == nil {
		if len(lists) != 1 {
			return "", nil, unsupported("prompt", "'prompt' has %d prompts; this server completes exactly one per request.", len(lists))
		}
		if len(lists[0]) == 0 {
			return "", nil, badRequest("prompt", "'prompt' is an empty list of tokens.")
		}
		return "", lists[0], nil
	}
	return "", nil, badRequest("prompt", "Invalid type for 'prompt': expected a string, an array of strings, an array of integers or an array of arrays of integers.")
}

// parseMaxTokens checks a token limit; nil means def (zero: the engine's).
func parseMaxTokens(param string, v *int, def int) (int, *Error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 {
		return 0, badRequest(param, "Invalid '%s': integer below minimum value. Expected a value >= 1, but got %d instead.", param, *v)
	}
	return *v, nil
}

// apply checks the sampling fields and sets them on c.
//
// Defaults follow OpenAI: temperature 1 and top_p 1 when absent, and a
// fresh random seed for each request without one. temperature 0 or
// top_p 0 means greedy decoding. presence_penalty and frequency_penalty are
// checked (−2 to 2) and otherwise ignored: the engine's only penalty is a
// repetition penalty, which is a different function, and a client that
// wants it can send repetition_penalty (as with vLLM and llama.cpp),
// along with top_k and min_p.
func (s sampling) apply(c *call) *Error {
	if s.N != nil && *s.N != 1 {
		return unsupported("n", "n must be 1: this server generates one choice per request (got n=%d).", *s.N)
	}
	if logprobsRequested(s.Logprobs) {
		return unsupported("logprobs", "Logprobs are not supported by this server.")
	}
	if present(s.LogitBias) && string(s.LogitBias) != "{}" {
		return unsupported("logit_bias", "'logit_bias' is not supported by this server.")
	}
	sp := engine.Sampling{Temperature: 1}
	if s.Temperature != nil {
		if t := *s.Temperature; t < 0 || t > 2 {
			return badRequest("temperature", "Invalid 'temperature': expected a value between 0 and 2, but got %g instead.", t)
		}
		sp.Temperature = *s.Temperature
	}
	if s.TopP != nil {
		p := *s.TopP
		if p < 0 || p > 1 {
			return badRequest("top_p", "Invalid 'top_p': expected a value between 0 and 1, but got %g instead.", p)
		}
		if p == 0 {
			sp.Temperature = 0 // the engine reads TopP 0 as "no cut"; OpenAI as "only the top token"
		}
		sp.TopP = p
	}
	for name, v := range map[string]*float64{"presence_penalty": s.PresencePenalty, "frequency_penalty": s.FrequencyPenalty} {
		if v != nil && (*v < -2 || *v > 2) {
			return badRequest(name, "Invalid '%s': expected a value between -2 and 2, but got %g instead.", name, *v)
		}
	}
	if s.TopK != nil {
		if *s.TopK < 0 {
			return badRequest("top_k", "Invalid 'top_k': expected a value >= 0, but got %d instead.", *s.TopK)
		}
		sp.TopK = *s.TopK
	}
	if s.MinP != nil {
		if *s.MinP < 0 || *s.MinP > 1 {
			return badRequest("min_p", "Invalid 'min_p': expected a value between 0 and 1, but got %g instead.", *s.MinP)
		}
		sp.MinP = *s.MinP
	}
	if s.RepetitionPenalty != nil {
		if *s.RepetitionPenalty <= 0 || *s.RepetitionPenalty > 10 {
			return badRequest("repetition_penalty", "Invalid 'repetition_penalty': expected a value above 0 and at most 10, but got %g instead.", *s.RepetitionPenalty)
		}
		sp.RepetitionPenalty = *s.RepetitionPenalty
	}
	if s.Seed != nil {
		sp.Seed = uint64(*s.Seed)
	} else {
		sp.Seed = rand.Uint64()
	}
	stops, e := parseStop(s.Stop)
	if e != nil {
		return e
	}
	c.gen.Stop = stops
	c.gen.Sampling = sp
	if s.StreamOptions != nil {
		c.includeUsage = s.StreamOptions.IncludeUsage
	}
	return nil
}

// parseStop reads stop: null, a string or up to MaxStops strings. Empty
// strings are dropped.
func parseStop(raw json.RawMessage) ([]string, *Error) {
	if !present(raw) {
		return nil, nil
	}
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop", "Invalid type for 'stop': expected a string or an array of strings.")
	}
	if len(list) > MaxStops {
		return nil, badRequest("stop", "Invalid 'stop': array too long. Expected an array with maximum length %d, but got an array with length %d instead.", MaxStops, len(list))
	}
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// logprobsRequested reports whether a logprobs field asks for logprobs:
// true (chat) or a number above zero (legacy completions).
func logprobsRequested(raw json.RawMessage) bool {
	if !present(raw) {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		return n > 0
	}
	return true // something else: refuse rather than silently ignore
}

// present reports whether a raw field was sent with a value other than null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// nonEmpty reports whether a raw list field holds something.
func nonEmpty(raw json.RawMessage) bool {
	return present(raw) && string(bytes.TrimSpace(raw)) != "[]"
}
