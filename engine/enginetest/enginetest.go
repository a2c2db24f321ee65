// Package enginetest writes random-weight models for tests and benchmarks
// of the engine: GGUF files of any Llama shape, readable by llama.cpp too,
// with a byte-level tokenizer that can encode any text.
package enginetest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/switchboard/switchboard/engine/gguf"
	"github.com/switchboard/switchboard/engine/tensor"
)

// A Shape is the architecture of a random model. Zero fields take the
// defaults of Small.
type Shape struct {
	Dim     int         // embedding width
	Layers  int         // transformer blocks
	Heads   int         // query heads
	KVHeads int         // key/value heads
	FF      int         // feed-forward width
	Vocab   int         // vocabulary size, at least 257 (256 bytes and an end token)
	Context int         // context length
	Type    tensor.Type // stored type of the matrices: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K
	// Q4KM stores the model as llama.cpp's Q4_K_M mix instead of Type:
	// Q4_K everywhere except Q6_K for output.weight and for attn_v and
	// ffn_down in the layers llama-quantize gives more bits (the first and
	// last eighth, and every third in between).
	Q4KM bool
	Seed uint64 // the random weights
}

// Small is a model of modest shape for fast tests.
var Small = Shape{Dim: 128, Layers: 2, Heads: 4, KVHeads: 2, FF: 384, Vocab: 512, Context: 512, Type: tensor.F32}

// GPT2Small is GPT-2 small's size in a Llama layout (dim 768, 12 layers,
// 12 heads, feed-forward 2048, 50257 tokens: about 134M parameters), the
// shape the engine is benchmarked against llama.cpp on.
var GPT2Small = Shape{Dim: 768, Layers: 12, Heads: 12, KVHeads: 12, FF: 2048, Vocab: 50257, Context: 1024, Type: tensor.F32}

func (s Shape) withDefaults() Shape {
	orDefault := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	orDefault(&s.Dim, Small.Dim)
	orDefault(&s.Layers, Small.Layers)
	orDefault(&s.Heads, Small.Heads)
	orDefault(&s.KVHeads, s.Heads)
	orDefault(&s.FF, Small.FF)
	orDefault(&s.Vocab, Small.Vocab)
	orDefault(&s.Context, Small.Context)
	return s
}

// WriteModel writes a random Llama model of shape s to path as GGUF.
func WriteModel(path string, s Shape) error {
	s = s.withDefaults()
	if s.Vocab < 257 || s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("write random model: impossible shape %+v", s)
	}
	rng := rand.New(rand.NewPCG(s.Seed, 42))
	headDim := s.Dim / s.Heads
	var tensors []tensor.Tensor
	var err error
	matrix := func(name string, rows, cols int) {
		if err != nil {
			return
		}
		typ := s.Type
		if s.Q4KM {
			typ = q4kmType(name, s.Layers)
		}
		v := make([]float32, rows*cols)
		a := float32(math.Sqrt(3 / float64(cols))) // unit variance outputs for unit inputs
		for i := range v {
			v[i] = (2*rng.Float32() - 1) * a
		}
		var t tensor.Tensor
		t, err = encode(name, typ, []int{rows, cols}, v)
		tensors = append(tensors, t)
	}
	vector := func(name string, n int) {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1 + 0.1*(2*rng.Float32()-1)
		}
		t, _ := encode(name, tensor.F32, []int{n}, v)
		tensors = append(tensors, t)
	}
	matrix("token_embd.weight", s.Vocab, s.Dim)
	for l := 0; l < s.Layers; l++ {
		b := fmt.Sprintf("blk.%d.", l)
		vector(b+"attn_norm.weight", s.Dim)
		matrix(b+"attn_q.weight", s.Heads*headDim, s.Dim)
		matrix(b+"attn_k.weight", s.KVHeads*headDim, s.Dim)
		matrix(b+"attn_v.weight", s.KVHeads*headDim, s.Dim)
		matrix(b+"attn_output.weight", s.Dim, s.Heads*headDim)
		vector(b+"ffn_norm.weight", s.Dim)
		matrix(b+"ffn_gate.weight", s.FF, s.Dim)
		matrix(b+"ffn_up.weight", s.FF, s.Dim)
		matrix(b+"ffn_down.weight", s.Dim, s.FF)
	}
	vector("output_norm.weight", s.Dim)
	matrix("output.weight", s.Vocab, s.Dim)
	if err != nil {
		return fmt.Errorf("write random model: %w", err)
	}
	tokens, types := byteVocab(s.Vocab)
	meta := []gguf.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "general.name", Value: "random"},
		{Key: "llama.context_length", Value: uint32(s.Context)},
		{Key: "llama.embedding_length", Value: uint32(s.Dim)},
		{Key: "llama.block_count", Value: uint32(s.Layers)},
		{Key: "llama.feed_forward_length", Value: uint32(s.FF)},
		{Key: "llama.attention.head_count", Value: uint32(s.Heads)},
		{Key: "llama.attention.head_count_kv", Value: uint32(s.KVHeads)},
		{Key: "llama.rope.freq_base", Value: float32(10000)},
		{Key: "llama.rope.dimension_count", Value: uint32(headDim)},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: float32(1e-5)},
		{Key: "tokenizer.ggml.model", Value: "gpt2"},
		{Key: "tokenizer.ggml.pre", Value: "gpt-2"},
		{Key: "tokenizer.ggml.tokens", Value: tokens},
		{Key: "tokenizer.ggml.token_type", Value: types},
		{Key: "tokenizer.ggml.merges", Value: []string{}},
		{Key: "tokenizer.ggml.bos_token_id", Value: uint32(s.Vocab - 1)},
		{Key: "tokenizer.ggml.eos_token_id", Value: uint32(s.Vocab - 1)},
	}
	return gguf.WriteFile(path, meta, tensors)
}

// q4kmType returns the type llama-quantize's Q4_K_M gives a matrix of a
// model with the given number of layers.
func q4kmType(name string, layers int) tensor.Type {
	if name == "output.weight" {
		return tensor.Q6_K
	}
	var l int
	var kind string
	if _, err := fmt.Sscanf(name, "blk.%d.%s", &l, &kind); err != nil {
		return tensor.Q4_K
	}
	if kind != "attn_v.weight" && kind != "ffn_down.weight" {
		return tensor.Q4_K
	}
	if l < layers/8 || l >= 7*layers/8 || (l-layers/8)%3 == 2 {
		return tensor.Q6_K
	}
	return tensor.Q4_K
}

func encode(name string, t tensor.Type, shape []int, v []float32) (tensor.Tensor, error) {
	n, err := t.RowBytes(len(v))
	if err != nil {
		return tensor.Tensor{}, err
	}
	data := make([]byte, n)
	if err := tensor.Quantize(t, data, v); err != nil {
		return tensor.Tensor{}, err
	}
	return tensor.Tensor{Name: name, Type: t, Shape: shape, Data: data}, nil
}

// byteVocab returns a byte-level vocabulary: the 256 bytes in GPT-2's
// byte-to-unicode spelling, unreachable filler tokens, and a last control
// token <|endoftext|>.
func byteVocab(n int) ([]string, []int32) {
	tokens := make([]string, n)
	types := make([]int32, n)
	next := 256
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(next)
			next++
		}
		tokens[b] = string(r)
		types[b] = 1
	}
	for i := 256; i < n-1; i++ {
		tokens[i] = fmt.Sprintf("<filler_%d>", i)
		types[i] = 1
	}
	tokens[n-1] = "<|endoftext|>"
	types[n-1] = 3
	return tokens, types
}
