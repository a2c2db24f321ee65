// Package builtin holds Switchboard's default decoder, embedded in the
// binary: a small Llama-style model (5.9M parameters: dim 256, 6 layers,
// 4 heads, feed-forward 704, context 384, F16) with its own 4096-token
// byte-level BPE tokenizer, trained by `switchboard train` on synthetic
// grounded support dialogues (see README, "The built-in model"). It is
// used whenever no engine.model is configured.
package builtin

import (
	_ "embed"
	"fmt"

	"github.com/switchboard/switchboard/engine"
	"github.com/switchboard/switchboard/engine/gguf"
)

// Name identifies the built-in model in errors, logs and /v1/models.
const Name = "switchboard-default"

//go:embed model.gguf
var data []byte

// GGUF returns the model file. The caller must not modify it.
func GGUF() []byte { return data }

// File parses the model file, for readers of its metadata or weights
// other than the runtime (the tokenizer alone, the trainer).
func File() (*gguf.File, error) {
	f, err := gguf.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("built-in model: %w", err)
	}
	return f, nil
}

// Load returns the built-in model.
func Load(opts engine.Options) (*engine.Model, error) {
	return engine.LoadBytes(Name, data, opts)
}
