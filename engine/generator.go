// Package engine is Switchboard's transformer decoder: model files (GGUF,
// safetensors), tokenizers, the forward pass with a KV cache, sampling,
// chat templates and training.
package engine

import (
	"context"
	"time"
)

// A Generator writes text. Implementations must be safe for concurrent use.
type Generator interface {
	// Generate continues req and calls onToken with each decoded piece of
	// text, in order, as it is produced. A multi-byte character split across
	// tokens reaches onToken whole. Generation stops at MaxTokens, at a stop
	// string (not included in the output), at end of sequence, when onToken
	// returns an error (returned wrapped) or when ctx is done.
	Generate(ctx context.Context, req Request, onToken func(piece string) error) (Result, error)
}

// A Request is one generation.
type Request struct {
	Prompt    string        // text to continue; special-token strings in it stay plain text
	Messages  []ChatMessage // when set, rendered with the model's chat template instead of Prompt
	IDs       []int         // when set, used as the prompt instead of Prompt or Messages
	MaxTokens int           // zero means 256
	Stop      []string      // stop strings, which may span tokens
	Sampling  Sampling
}

// A ChatMessage is one message of a chat, for the model's chat template.
type ChatMessage struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// Sampling chooses the next token. The zero value is greedy decoding.
type Sampling struct {
	Temperature       float64 // zero or negative means greedy
	TopK              int     // zero means no top-k cut
	TopP              float64 // zero or 1 means no nucleus cut
	MinP              float64 // zero means no min-p cut
	RepetitionPenalty float64 // zero or 1 means none
	Seed              uint64  // the random stream; the same seed gives the same text
}

// A Result reports what a generation did.
type Result struct {
	Text         string
	IDs          []int // generated token ids
	PromptTokens int
	// CachedPromptTokens of PromptTokens were not run through the model:
	// their KV cache was copied from an earlier prompt with the same start.
	CachedPromptTokens int
	GeneratedTokens    int
	FinishReason       string // "stop" (end of sequence or stop string) or "length"
	PrefillTime        time.Duration
	DecodeTime         time.Duration
}
