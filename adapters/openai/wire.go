package openai

import (
	"encoding/json"

	"github.com/switchboard/switchboard/knowledge"
)

// Object types, as OpenAI names them in the "object" field.
const (
	objectChat      = "chat.completion"
	objectChatChunk = "chat.completion.chunk"
	objectText      = "text_completion"
	objectModel     = "model"
	objectList      = "list"
)

// chatRequest is the body of POST /v1/chat/completions. Polymorphic fields
// stay raw until parseChat reads them; fields not listed are ignored,
// because SDKs send more than any server implements.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessageIn `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	sampling
	Switchboard *switchboardOptions `json:"switchboard"`

	// Unsupported features, refused with a 400 when present.
	Tools          json.RawMessage `json:"tools"`
	Functions      json.RawMessage `json:"functions"`
	ResponseFormat json.RawMessage `json:"response_format"`
	TopLogprobs    json.RawMessage `json:"top_logprobs"`
}

// sampling holds the fields chat and legacy completions share.
type sampling struct {
	Temperature      *float64        `json:"temperature"`
	TopP             *float64        `json:"top_p"`
	N                *int            `json:"n"`
	Stop             json.RawMessage `json:"stop"`
	Seed             *int64          `json:"seed"`
	Stream           bool            `json:"stream"`
	StreamOptions    *streamOptions  `json:"stream_options"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	User             string          `json:"user"`
	Logprobs         json.RawMessage `json:"logprobs"` // bool in chat, integer in completions
	LogitBias        json.RawMessage `json:"logit_bias"`

	// Extensions that vLLM and llama.cpp accept too.
	TopK              *int     `json:"top_k"`
	MinP              *float64 `json:"min_p"`
	RepetitionPenalty *float64 `json:"repetition_penalty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// switchboardOptions is the "switchboard" extension of a chat request.
type switchboardOptions struct {
	// Knowledge answers the last user message through the conversation
	// pipeline (retrieval, grounding, citations) instead of the raw model.
	Knowledge bool `json:"knowledge"`
	// ConversationID names the session explicitly; empty means one is
	// derived from the user field and the first user message.
	ConversationID string `json:"conversation_id"`
}

type chatMessageIn struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  json.RawMessage `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// completionRequest is the body of POST /v1/completions.
type completionRequest struct {
	Model     string          `json:"model"`
	Prompt    json.RawMessage `json:"prompt"`
	MaxTokens *int            `json:"max_tokens"`
	sampling
	Echo   bool            `json:"echo"`
	BestOf *int            `json:"best_of"`
	Suffix json.RawMessage `json:"suffix"`
	// Switchboard is refused: grounded answers are chat requests.
	Switchboard json.RawMessage `json:"switchboard"`
}

// Usage counts tokens, as in every OpenAI response.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func newUsage(prompt, completion int) *Usage {
	return &Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// Header is what every response object starts with.
type Header struct {
	ID                string `json:"id"` // "chatcmpl-…" or "cmpl-…", the same in every chunk of a stream
	Object            string `json:"object"`
	Created           int64  `json:"created"` // Unix seconds
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"` // "fp_…", derived from the model name
}

// ChatCompletion is the answer of a non-streamed chat request.
type ChatCompletion struct {
	Header
	Choices     []ChatChoice `json:"choices"`
	Usage       *Usage       `json:"usage"`
	Switchboard *Grounding   `json:"switchboard,omitempty"`
}

// ChatChoice is one choice of a ChatCompletion.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      ChatMessage     `json:"message"`
	Logprobs     json.RawMessage `json:"logprobs"` // always null
	FinishReason string          `json:"finish_reason"`
}

// ChatMessage is a message of a chat response.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatChunk is one event of a streamed chat response.
type ChatChunk struct {
	Header
	Choices     []ChunkChoice `json:"choices"`
	Switchboard *Grounding    `json:"switchboard,omitempty"`
}

// ChunkChoice is the one choice of a ChatChunk.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        Delta           `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs"`      // always null
	FinishReason *string         `json:"finish_reason"` // null until the last chunk
}

// Delta is the new part of a streamed chat message.
type Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// TextCompletion is the answer of a legacy completion request, streamed
// or not (each chunk has the same shape).
type TextCompletion struct {
	Header
	Choices []TextChoice `json:"choices"`
	Usage   *Usage       `json:"usage,omitempty"`
}

// TextChoice is one choice of a TextCompletion.
type TextChoice struct {
	Text         string          `json:"text"`
	Index        int             `json:"index"`
	Logprobs     json.RawMessage `json:"logprobs"`      // always null
	FinishReason *string         `json:"finish_reason"` // null in a streamed chunk before the last
}

// Grounding is the "switchboard" extension of a knowledge answer: what
// the conversation pipeline said besides the text.
type Grounding struct {
	Citations []knowledge.Citation `json:"citations"`
	// Links are the links of the words the answer quotes: "url" for a
	// web page, "source" for another article (omitted when none).
	Links    []knowledge.Link `json:"links,omitempty"`
	Fallback bool             `json:"fallback"`
	Handoff  bool             `json:"handoff"`
}

// Model is one entry of GET /v1/models.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	// MaxModelLen is the model's context length in tokens, as vLLM
	// reports it; omitted when unknown.
	MaxModelLen int `json:"max_model_len,omitempty"`
}

// ModelList is the answer of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}

// null is the JSON null the logprobs fields always carry.
var null = json.RawMessage("null")
