package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		model, path string
		bos         bool // the reference ids start with BOS, which tokenize leaves out
	}{
		{"llama", "models/llama/tokenizer.json", false},
		{"llama", "models/llama", false},
		{"llama", "models/llama/model-f32.gguf", false},
		{"llama3", "models/llama3/model-f32.gguf", false},
		{"qwen2", "models/qwen2/tokenizer.json", false},
		{"llama-spm", "models/llama-spm/tokenizer.model", true},
		{"llama-spm", "models/llama-spm/model-f32.gguf", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, p := range refPrompts(t, tt.model)[:2] {
				out, err := runCmd(t, "tokenize", "--model", engineTestdata+tt.path, "--json", p.Text)
				if err != nil {
					t.Fatal(err)
				}
				var got struct{ IDs []int }
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("tokenize --json printed %q: %v", out, err)
				}
				want := p.IDs
				if tt.bos {
					want = want[1:]
				}
				if fmt.Sprint(got.IDs) != fmt.Sprint(want) {
					t.Errorf("tokenize %q = %v, want %v", p.Text, got.IDs, want)
				}
			}
		})
	}
}

func TestTokenizeSpecialsStayText(t *testing.T) {
	// In the llama test vocabulary <|im_start|> is token 1; typed by a
	// user it must be spelled out.
	out, err := runCmd(t, "tokenize", "--model", engineTestdata+"models/llama/tokenizer.json", "<|im_start|>user")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(out)
	if len(ids) < 3 || ids[0] == "1" {
		t.Errorf("tokenize <|im_start|>user = %v, want the marker spelled out in plain-text tokens", ids)
	}
	if _, err := runCmd(t, "tokenize", "--model", engineTestdata+"models/llama/tokenizer.json"); err == nil {
		t.Error("tokenize without text succeeded")
	}
	// Without --model, the built-in model's tokenizer: a special-token
	// string stays text there too.
	out, err = runCmd(t, "tokenize", "<|im_start|>user")
	if err != nil {
		t.Fatalf("tokenize with the built-in model: %v", err)
	}
	if n := len(strings.Fields(out)); n < 3 {
		t.Errorf("built-in tokenizer: <|im_start|>user = %q, want the marker spelled out", out)
	}
}
