package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/safetensors"
	"github.com/switchboard/switchboard/engine/tensor"
)

// rewriteGGUF writes a copy of the GGUF file src to a temporary file after
// edit has changed its metadata and tensors.
func rewriteGGUF(t *testing.T, src string, edit func(meta []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor)) string {
	t.Helper()
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta, ts := edit(f.Metadata(), f.Tensors())
	path := filepath.Join(t.TempDir(), "edited.gguf")
	if err := gguf.WriteFile(path, meta, ts); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyHF copies a model folder, then edits its config.json.
func copyHF(t *testing.T, src string, editConfig func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "config.json" {
			b = []byte(editConfig(string(b)))
		}
		if filepath.Ext(e.Name()) == ".gguf" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadCorrupt(t *testing.T) {
	f32 := modelPath("llama", "model-f32.gguf")
	whole, err := os.ReadFile(f32)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.gguf")
	os.WriteFile(truncated, whole[:len(whole)/2], 0o644)

	dropTensor := func(name string) func([]gguf.KV, []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		return func(meta []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
			var out []tensor.Tensor
			for _, x := range ts {
				if x.Name != name {
					out = append(out, x)
				}
			}
			return meta, out
		}
	}
	setMeta := func(key string, v any) func([]gguf.KV, []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		return func(meta []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
			for i := range meta {
				if meta[i].Key == key {
					meta[i].Value = v
				}
			}
			return meta, ts
		}
	}
	hf := modelPath("llama", "")
	tests := []struct {
		name string
		path string
		want error    // nil: any error
		says []string // the message names what is wrong
	}{
		{"truncated gguf", truncated, nil, []string{"truncated.gguf"}},
		{"missing tensor", rewriteGGUF(t, f32, dropTensor("blk.1.ffn_up.weight")), ErrMissingTensor, []string{"blk.1.ffn_up.weight"}},
		{"unknown architecture", rewriteGGUF(t, f32, setMeta("general.architecture", "mamba")), ErrArch, []string{"mamba"}},
		{"wrong width", rewriteGGUF(t, f32, setMeta("llama.feed_forward_length", uint32(128))), ErrShape, []string{"ffn_gate", "[160 64]"}},
		{"zero heads", rewriteGGUF(t, f32, setMeta("llama.attention.head_count", uint32(0))), ErrConfig, []string{"heads"}},
		{"absurd context", rewriteGGUF(t, f32, setMeta("llama.context_length", uint32(1<<30))), ErrConfig, []string{"context"}},
		{"hf wrong ff", copyHF(t, hf, func(c string) string {
			return strings.Replace(c, `"intermediate_size": 160`, `"intermediate_size": 161`, 1)
		}), ErrShape, []string{"gate_proj"}},
		{"hf unknown model type", copyHF(t, hf, func(c string) string {
			return strings.Replace(c, `"model_type": "llama"`, `"model_type": "mamba"`, 1)
		}), ErrArch, []string{"mamba"}},
		{"hf unsupported rope scaling", copyHF(t, hf, func(c string) string {
			return strings.Replace(c, `"rope_type": "default"`, `"rope_type": "yarn"`, 1)
		}), ErrConfig, []string{"yarn"}},
		{"hf bad json", copyHF(t, hf, func(c string) string { return c[:len(c)/2] }), nil, []string{"config.json"}},
		{"not a file", filepath.Join(t.TempDir(), "absent.gguf"), os.ErrNotExist, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Load(tt.path)
			if err == nil {
				m.Close()
				t.Fatalf("Load() succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Load() = %v, want %v", err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Load() = %q, want it to mention %q", err, s)
				}
			}
		})
	}
}

func TestCloseWaitsForGenerate(t *testing.T) {
	m, err := LoadWith(modelPath("llama", "model-f32.gguf"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		first := true
		_, err := m.Generate(context.Background(), Request{Prompt: "How", MaxTokens: 200}, func(string) error {
			if first {
				close(started)
				first = false
			}
			return nil
		})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Generate ended (%v) before its first piece", err)
	}
	if err := m.Close(); err != nil { // must not crash the generation
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Generate running during Close = %v", err)
	}
}

func TestCloseTwice(t *testing.T) {
	before := runtime.NumGoroutine()
	m, err := LoadWith(modelPath("llama", "model-f32.gguf"), Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close() = %v, want ErrClosed", err)
	}
	if _, err := m.Generate(context.Background(), Request{Prompt: "x"}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Generate after Close = %v, want ErrClosed", err)
	}
	// The workers are gone.
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before Load", n, before)
	}
}

func TestTemplateFromFiles(t *testing.T) {
	llama3 := "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n{{ m['content'] }}<|eot_id|>{% endfor %}"
	withTemplate := rewriteGGUF(t, modelPath("llama", "model-f32.gguf"), func(meta []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		return append(meta, gguf.KV{Key: "tokenizer.chat_template", Value: llama3}), ts
	})
	hf := copyHF(t, modelPath("llama", ""), func(c string) string { return c })
	os.WriteFile(filepath.Join(hf, "tokenizer_config.json"), []byte(`{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "[INST] {{ m }} [/INST]"}]}`), 0o644)
	tests := []struct{ path, want string }{
		{modelPath("llama", "model-f32.gguf"), "chatml"}, // no template: ChatML
		{modelPath("llama", "model.safetensors"), "chatml"},
		{withTemplate, "llama3"},
		{hf, "mistral"},
	}
	for _, tt := range tests {
		m := openModel(t, tt.path)
		if got := m.Template.Name; got != tt.want {
			t.Errorf("Load(%s).Template = %s, want %s", tt.path, got, tt.want)
		}
	}
}

func TestGenerateStopsAtEndOfSequence(t *testing.T) {
	ref := loadReference(t)
	p := ref.Models["llama"].Reference[1] // its greedy path starts with three different tokens
	// Make the third greedy token the end-of-sequence token.
	eos := p.Greedy[2]
	if p.Greedy[0] == eos || p.Greedy[1] == eos {
		t.Fatalf("greedy path %v repeats its third token early", p.Greedy)
	}
	path := rewriteGGUF(t, modelPath("llama", "model-f32.gguf"), func(meta []gguf.KV, ts []tensor.Tensor) ([]gguf.KV, []tensor.Tensor) {
		for i := range meta {
			if meta[i].Key == "tokenizer.ggml.eos_token_id" {
				meta[i].Value = uint32(eos)
			}
		}
		return meta, ts
	})
	m := openModel(t, path)
	res, err := m.Generate(context.Background(), Request{IDs: p.IDs, MaxTokens: 24}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(res.IDs, p.Greedy[:2]) || res.FinishReason != "stop" {
		t.Errorf("Generate = %v (%s), want %v (stop) without the end token", res.IDs, res.FinishReason, p.Greedy[:2])
	}
}

// writeSafetensors writes tensors converted to typ as a safetensors file.
func writeSafetensors(t *testing.T, path string, src *safetensors.File, typ tensor.Type, dtype string) {
	t.Helper()
	header := map[string]any{}
	var body []byte
	for _, name := range src.Names() {
		x, _ := src.Tensor(name)
		v, err := x.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := typ.RowBytes(len(v))
		data := make([]byte, n)
		if err := tensor.Quantize(typ, data, v); err != nil {
			t.Fatal(err)
		}
		header[name] = map[string]any{"dtype": dtype, "shape": x.Shape, "data_offsets": []int{len(body), len(body) + n}}
		body = append(body, data...)
	}
	h, _ := json.Marshal(header)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), body...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHalfPrecisionSafetensors(t *testing.T) {
	ref := loadReference(t)
	src, err := safetensors.Open(filepath.Join(modelPath("llama", ""), "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tests := []struct {
		typ   tensor.Type
		dtype string
		tol   float64
	}{
		// F16 as the f16 GGUF (same rounding, measured 0.0023).
		{tensor.F16, "F16", 5e-3},
		// BF16 keeps 8 significant bits (relative error ≤ 2⁻⁹), eight
		// times coarser than F16.
		{tensor.BF16, "BF16", 4e-2},
	}
	for _, tt := range tests {
		t.Run(tt.dtype, func(t *testing.T) {
			dir := copyHF(t, modelPath("llama", ""), func(c string) string { return c })
			writeSafetensors(t, filepath.Join(dir, "model.safetensors"), src, tt.typ, tt.dtype)
			m := openModel(t, dir)
			if got := m.Weights.Layers[0].WQ.Type; got != tt.typ {
				t.Fatalf("weights loaded as %v, want %v (stored type kept)", got, tt.typ)
			}
			worst := 0.0
			for i := range ref.Models["llama"].Reference {
				worst = max(worst, checkLogits(t, m, &ref.Models["llama"].Reference[i], tt.tol))
			}
			t.Logf("largest logit difference %.3g", worst)
		})
	}
}
