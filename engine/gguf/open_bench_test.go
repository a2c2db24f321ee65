package gguf

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard/switchboard/engine/tensor"
)

// llama1B returns metadata and tensors shaped like Llama 3.2 1B in
// Q4_K_M (128256-token vocabulary with 280k merges, 16 layers of dim
// 2048): about 0.8 GB of tensor data. Every tensor's Data aliases one
// zeroed buffer, so building it costs one allocation of the largest tensor.
func llama1B() ([]KV, []tensor.Tensor) {
	const (
		vocab, dim, layers, ff, kvDim = 128256, 2048, 16, 8192, 512
	)
	r := rand.New(rand.NewPCG(1, 1))
	tokens := make([]string, vocab)
	types := make([]int32, vocab)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("tok%x%c", r.Uint32(), 'a'+rune(i%26))
		types[i] = 1
	}
	merges := make([]string, 280147)
	for i := range merges {
		merges[i] = tokens[r.IntN(vocab)] + " " + tokens[r.IntN(vocab)]
	}
	meta := []KV{
		{KeyArchitecture, "llama"},
		{"general.name", "synthetic 1B"},
		{"llama.block_count", uint32(layers)},
		{"llama.context_length", uint32(131072)},
		{"llama.embedding_length", uint32(dim)},
		{"llama.feed_forward_length", uint32(ff)},
		{"llama.attention.head_count", uint32(32)},
		{"llama.attention.head_count_kv", uint32(8)},
		{"llama.rope.freq_base", float32(500000)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"general.file_type", uint32(15)},
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", "llama-bpe"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.merges", merges},
		{"tokenizer.chat_template", string(bytes.Repeat([]byte("{{ x }}"), 200))},
	}
	var zero []byte
	var tensors []tensor.Tensor
	add := func(name string, typ tensor.Type, shape ...int) {
		t := tensor.Tensor{Name: name, Type: typ, Shape: shape}
		n := t.RowBytes() * t.Rows()
		if n > len(zero) {
			zero = make([]byte, n)
		}
		t.Data = zero[:n]
		tensors = append(tensors, t)
	}
	add("token_embd.weight", tensor.Q6_K, vocab, dim)
	add("rope_freqs.weight", tensor.F32, 32)
	add("output_norm.weight", tensor.F32, dim)
	for l := range layers {
		p := fmt.Sprintf("blk.%d.", l)
		add(p+"attn_norm.weight", tensor.F32, dim)
		add(p+"attn_q.weight", tensor.Q4_K, dim, dim)
		add(p+"attn_k.weight", tensor.Q4_K, kvDim, dim)
		add(p+"attn_v.weight", tensor.Q6_K, kvDim, dim)
		add(p+"attn_output.weight", tensor.Q4_K, dim, dim)
		add(p+"ffn_norm.weight", tensor.F32, dim)
		add(p+"ffn_gate.weight", tensor.Q4_K, ff, dim)
		add(p+"ffn_up.weight", tensor.Q4_K, ff, dim)
		add(p+"ffn_down.weight", tensor.Q6_K, dim, ff)
	}
	return meta, tensors
}

// sparseWriter writes to a file, seeking over all-zero writes so that a
// large synthetic model takes little disk space and time.
type sparseWriter struct {
	f   *os.File
	end int64
}

func (w *sparseWriter) Write(p []byte) (int, error) {
	if len(bytes.TrimLeft(p, "\x00")) == 0 {
		if _, err := w.f.Seek(int64(len(p)), io.SeekCurrent); err != nil {
			return 0, err
		}
	} else if _, err := w.f.Write(p); err != nil {
		return 0, err
	}
	w.end += int64(len(p))
	return len(p), nil
}

// BenchmarkOpen measures Open+Close: the fixtures, a synthetic file
// shaped like Llama 3.2 1B Q4_K_M and, if set, the files named in
// $GGUF_BENCH_FILES (a filepath.SplitList list). Opening maps the file and
// parses its header; tensor data are not read.
func BenchmarkOpen(b *testing.B) {
	paths, _ := filepath.Glob("testdata/*/*.gguf")
	if env := os.Getenv("GGUF_BENCH_FILES"); env != "" {
		paths = append(paths, filepath.SplitList(env)...)
	}
	big := filepath.Join(b.TempDir(), "llama-1b-q4_k_m.gguf")
	fd, err := os.Create(big)
	if err != nil {
		b.Fatal(err)
	}
	sw := &sparseWriter{f: fd}
	meta, tensors := llama1B()
	if err := Write(sw, meta, tensors); err != nil {
		b.Fatal(err)
	}
	if err := fd.Truncate(sw.end); err != nil {
		b.Fatal(err)
	}
	fd.Close()
	for _, p := range append(paths, big) {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s-%dMB", filepath.Base(p), st.Size()>>20), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f, err := Open(p)
				if err != nil {
					b.Fatal(err)
				}
				if len(f.Tensors()) == 0 {
					b.Fatal("no tensors")
				}
				f.Close()
			}
		})
	}
}
