package tokenizer

import (
	"slices"
	"testing"

	"github.com/switchboard/switchboard/engine/gguf"
)

// The GGUF files in testdata/models were written by llama.cpp's
// convert_hf_to_gguf.py from the Hugging Face folders beside them (see
// shared/testdata/README.md); each carries one of the reference
// vocabularies.
var ggufFiles = []struct {
	path   string
	ref    string // reference.json tokenizer with the same vocabulary
	prompt string // prompts.json model
	pre    string
	addBOS bool // llama.cpp's choice for the file
}{
	{"testdata/models/llama/model-q8_0.gguf", "bpe-gpt2", "llama", "gpt-2", false},
	// No add_bos_token key: llama.cpp adds BOS for the Llama 3
	// pre-tokenizer, although the Hugging Face folder does not.
	{"testdata/models/llama3/model-f32.gguf", "bpe-llama3", "llama3", "llama-bpe", true},
	{"testdata/models/qwen2/model-f32.gguf", "bpe-gpt2", "qwen2", "gpt-2", false},
	{"testdata/models/llama-spm/model-f32.gguf", "spm-llama", "llama-spm", "", true},
}

func TestGGUF(t *testing.T) {
	ref := readReference(t)
	mp := readPrompts(t)
	for _, c := range ggufFiles {
		t.Run(c.prompt, func(t *testing.T) {
			f, err := gguf.Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tok, err := FromGGUF(f)
			if err != nil {
				t.Fatalf("FromGGUF: %v", err)
			}
			want := loadRef(t, c.ref)
			if !slices.Equal(tok.tokens, want.tokens) {
				t.Fatalf("GGUF vocabulary differs from %s", c.ref)
			}
			if got := tok.Pre(); got != c.pre {
				t.Errorf("Pre() = %q, want %q", got, c.pre)
			}
			if got := tok.AddBOS(); got != c.addBOS {
				t.Errorf("AddBOS() = %v, want %v", got, c.addBOS)
			}
			checkCases(t, tok, ref[c.ref].Cases)
			checkPrompts(t, tok, mp.Models[c.prompt])
		})
	}
}

func TestLoadGGUFPath(t *testing.T) {
	tok, err := Load(ggufFiles[0].path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Len(), 384; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
}
