package tokenizer

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestMetadataMatchesConverter writes the reference vocabularies as GGUF
// metadata and compares the tokenizer keys with what llama.cpp's
// convert_hf_to_gguf.py wrote for the same vocabulary.
func TestMetadataMatchesConverter(t *testing.T) {
	for _, c := range []struct{ path, ref string }{
		{"testdata/models/llama/model-q8_0.gguf", "bpe-gpt2"},
		{"testdata/models/llama3/model-f32.gguf", "bpe-llama3"},
		{"testdata/models/llama-spm/model-f32.gguf", "spm-llama"},
	} {
		t.Run(c.ref, func(t *testing.T) {
			f, err := gguf.Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dir := "testdata/models/" + filepath.Base(filepath.Dir(c.path))
			tok, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			meta := tok.Vocab().Metadata()
			for _, key := range []string{KeyModel, KeyPre, KeyTokens, KeyScores, KeyTokenType, KeyMerges, KeyBOS, KeyEOS} {
				want, inFile := f.Value(key)
				var got any
				for _, kv := range meta {
					if kv.Key == key {
						got = kv.Value
					}
				}
				if key == KeyPre && tok.Model() == ModelSPM {
					continue // the converter writes "default" for SentencePiece; llama.cpp ignores it
				}
				if !inFile {
					if got != nil {
						t.Errorf("%s = %v, but the converter wrote none", key, got)
					}
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s differs from the converter's (-converter +ours):\n%s", key, diff)
				}
			}
		})
	}
}

// TestGPT2ThroughGGUF writes the real GPT-2 vocabulary (no GGUF of it is
// in testdata) as GGUF metadata, reads it back with FromGGUF, and checks
// every reference case.
func TestGPT2ThroughGGUF(t *testing.T) {
	src := loadRef(t, "gpt2")
	var buf bytes.Buffer
	if err := gguf.Write(&buf, src.Vocab().Metadata(), nil); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Pre(); got != "gpt-2" {
		t.Errorf("Pre() = %q, want gpt-2", got)
	}
	checkCases(t, tok, readReference(t)["gpt2"].Cases)
}
