package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestModelInfo(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"models/qwen2/model-f32.gguf", []string{"architecture: qwen2", "format:       gguf", "F32×", "qkv bias:     true", "tied output:  true", "context:      256", "template:     chatml"}},
		{"models/llama3", []string{"architecture: llama", "format:       safetensors", "rope scaling: llama3 factor 8", "heads:        4 (kv 1, head dim 16)", "tokenizer:    gpt2"}},
		{"models/llama-spm", []string{"tokenizer:    llama, 640 tokens (tokenizer.model)", "vocab:        640"}},
	}
	for _, tt := range tests {
		out, err := runCmd(t, "model", "info", "--model", engineTestdata+tt.path)
		if err != nil {
			t.Fatalf("model info %s: %v", tt.path, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("model info %s printed\n%s\nwant a line with %q", tt.path, out, w)
			}
		}
	}
	out, err := runCmd(t, "model", "info", "--json", "--model", engineTestdata+"models/llama/model-f32.gguf")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Format      string
		Config      struct{ Dim, Layers int }
		TensorTypes map[string]int `json:"tensor_types"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("model info --json printed %q: %v", out, err)
	}
	if info.Format != "gguf" || info.Config.Dim != 64 || info.Config.Layers != 2 || info.TensorTypes["F32"] == 0 {
		t.Errorf("model info --json = %+v", info)
	}
	// Without --model: the built-in model.
	out, err = runCmd(t, "model", "info", "--json")
	if err != nil {
		t.Fatalf("model info without --model: %v", err)
	}
	var def modelInfo
	if err := json.Unmarshal([]byte(out), &def); err != nil || def.Parameters == 0 || def.Template != "chatml" {
		t.Errorf("model info of the built-in model = %+v, %v", def, err)
	}
	if _, err := runCmd(t, "model"); err == nil {
		t.Error("model without a subcommand succeeded")
	}
}

func TestModelRandom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.gguf")
	if _, err := runCmd(t, "model", "random", "--out", path, "--type", "q8_0", "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "model", "info", "--model", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Q8_0×", "dim:          128", "layers:       2"} {
		if !strings.Contains(out, w) {
			t.Errorf("model info of a random small q8_0 model printed\n%s\nwant %q", out, w)
		}
	}
	if _, err := runCmd(t, "model", "random", "--out", path, "--type", "q3_k"); err == nil {
		t.Error("model random --type q3_k succeeded")
	}
}
