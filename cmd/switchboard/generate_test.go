package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const engineTestdata = "../../engine/testdata/"

// refPrompts returns the transformers reference prompts of a test model
// (see engine/testdata/trim_reference.py).
func refPrompts(t *testing.T, model string) []struct {
	Text   string `json:"text"`
	IDs    []int  `json:"input_ids"`
	Greedy []int  `json:"greedy_next_24"`
} {
	t.Helper()
	b, err := os.ReadFile(engineTestdata + "reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]struct {
			Reference []struct {
				Text   string `json:"text"`
				IDs    []int  `json:"input_ids"`
				Greedy []int  `json:"greedy_next_24"`
			} `json:"reference"`
		} `json:"models"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Models[model].Reference
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), err
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

func TestGenerateJSON(t *testing.T) {
	for _, model := range []string{"llama/model-f32.gguf", "llama-spm"} {
		name := strings.Split(model, "/")[0]
		for _, p := range refPrompts(t, name) {
			out, err := runCmd(t, "generate", "--model", engineTestdata+"models/"+model,
				"--ids", joinIDs(p.IDs), "--max-tokens", fmt.Sprint(len(p.Greedy)), "--json")
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			var got struct {
				IDs  []int  `json:"ids"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("generate --json printed %q: %v", out, err)
			}
			if fmt.Sprint(got.IDs) != fmt.Sprint(p.Greedy) {
				t.Errorf("%s %q: ids = %v, want %v", model, p.Text, got.IDs, p.Greedy)
			}
		}
	}
}

func TestGeneratePromptText(t *testing.T) {
	model := engineTestdata + "models/llama"
	jsonOut, err := runCmd(t, "generate", "--model", model, "--prompt", "How do I", "--max-tokens", "12", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Text string }
	if err := json.Unmarshal([]byte(jsonOut), &want); err != nil {
		t.Fatal(err)
	}
	plain, err := runCmd(t, "generate", "--model", model, "--prompt", "How do I", "--max-tokens", "12")
	if err != nil {
		t.Fatal(err)
	}
	if plain != want.Text+"\n" {
		t.Errorf("generate printed %q, want the --json text %q and a newline", plain, want.Text)
	}
	// Sampling with a seed is repeatable.
	args := []string{"generate", "--model", model, "--prompt", "How do I", "--max-tokens", "12", "--temperature", "1.2", "--seed", "5", "--json"}
	a, _ := runCmd(t, args...)
	b, _ := runCmd(t, args...)
	if a != b {
		t.Errorf("same seed printed %q and %q", a, b)
	}
}

func TestGenerateErrors(t *testing.T) {
	model := engineTestdata + "models/llama"
	tests := []struct {
		name    string
		args    []string
		usage   bool
		message string
	}{
		{"prompt and ids", []string{"generate", "--model", model, "--prompt", "hi", "--ids", "1"}, true, "not both"},
		{"bad ids", []string{"generate", "--model", model, "--ids", "1,x"}, true, "bad token id"},
		{"id outside vocabulary", []string{"generate", "--model", model, "--ids", "100000"}, false, "outside the vocabulary"},
		{"missing model file", []string{"generate", "--model", "nope.gguf", "--prompt", "hi"}, false, "nope.gguf"},
		{"corrupt model", []string{"generate", "--model", engineTestdata + "models/llama/tokenizer.json", "--prompt", "hi"}, false, "gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("run(%v) = %v, want an error containing %q", tt.args, err, tt.message)
			}
			var u usageError
			if got := errors.As(err, &u); got != tt.usage {
				t.Errorf("usage error = %v, want %v", got, tt.usage)
			}
		})
	}
}
