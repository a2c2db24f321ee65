package engine

import (
	"fmt"

	"github.com/switchboard/switchboard/engine/tensor"
)

// Weights are a decoder's parameters. Matrices stay in their stored type
// (F32, F16, BF16 or a quantized block type), usually as slices of a
// memory-mapped file; small vectors (norms, biases) are float32 copies.
// Matrix shapes are (rows, cols): a projection from n to d is (d, n).
type Weights struct {
	TokenEmbed tensor.Tensor // (Vocab, Dim)
	Layers     []Layer
	OutNorm    []float32     // (Dim)
	Output     tensor.Tensor // (Vocab, Dim); TokenEmbed when the output is tied

	PosEmbed    tensor.Tensor // (Context, Dim) learned positions with LearnedPos; empty otherwise
	OutNormBias []float32     // (Dim) with LayerNorm; nil otherwise
}

// A Layer is one transformer block's parameters.
type Layer struct {
	AttnNorm []float32     // (Dim)
	WQ       tensor.Tensor // (Heads*HeadDim, Dim)
	WK       tensor.Tensor // (KVHeads*HeadDim, Dim)
	WV       tensor.Tensor // (KVHeads*HeadDim, Dim)
	BQ       []float32     // (Heads*HeadDim); nil without QKVBias
	BK       []float32     // (KVHeads*HeadDim); nil without QKVBias
	BV       []float32     // (KVHeads*HeadDim); nil without QKVBias
	WO       tensor.Tensor // (Dim, Heads*HeadDim)
	FFNNorm  []float32     // (Dim)
	WGate    tensor.Tensor // (FF, Dim)
	WUp      tensor.Tensor // (FF, Dim)
	WDown    tensor.Tensor // (Dim, FF)

	// Biases of GPT-2 (nil otherwise); WGate is empty with GELU.
	AttnNormBias []float32 // (Dim)
	FFNNormBias  []float32 // (Dim)
	BO           []float32 // (Dim)
	BUp          []float32 // (FF)
	BDown        []float32 // (Dim)
}

// A weightName is the name of one weight in each file format; %d stands for
// the layer. Every tensor the model reads is named here, once.
type weightName struct{ gguf, hf string }

var (
	nameTokenEmbed = weightName{"token_embd.weight", "model.embed_tokens.weight"}
	nameOutNorm    = weightName{"output_norm.weight", "model.norm.weight"}
	nameOutput     = weightName{"output.weight", "lm_head.weight"}
	nameRopeFreqs  = weightName{"rope_freqs.weight", ""}
	nameAttnNorm   = weightName{"blk.%d.attn_norm.weight", "model.layers.%d.input_layernorm.weight"}
	nameWQ         = weightName{"blk.%d.attn_q.weight", "model.layers.%d.self_attn.q_proj.weight"}
	nameWK         = weightName{"blk.%d.attn_k.weight", "model.layers.%d.self_attn.k_proj.weight"}
	nameWV         = weightName{"blk.%d.attn_v.weight", "model.layers.%d.self_attn.v_proj.weight"}
	nameBQ         = weightName{"blk.%d.attn_q.bias", "model.layers.%d.self_attn.q_proj.bias"}
	nameBK         = weightName{"blk.%d.attn_k.bias", "model.layers.%d.self_attn.k_proj.bias"}
	nameBV         = weightName{"blk.%d.attn_v.bias", "model.layers.%d.self_attn.v_proj.bias"}
	nameWO         = weightName{"blk.%d.attn_output.weight", "model.layers.%d.self_attn.o_proj.weight"}
	nameFFNNorm    = weightName{"blk.%d.ffn_norm.weight", "model.layers.%d.post_attention_layernorm.weight"}
	nameWGate      = weightName{"blk.%d.ffn_gate.weight", "model.layers.%d.mlp.gate_proj.weight"}
	nameWUp        = weightName{"blk.%d.ffn_up.weight", "model.layers.%d.mlp.up_proj.weight"}
	nameWDown      = weightName{"blk.%d.ffn_down.weight", "model.layers.%d.mlp.down_proj.weight"}
)

// A tensorSource finds stored tensors by name (a GGUF file, a set of
// safetensors files).
type tensorSource interface {
	Tensor(name string) (tensor.Tensor, bool)
}

// weightLoader reads the weights of one file format, remembering the first
// error so that loading reads as a list of fields.
type weightLoader struct {
	src  tensorSource
	hf   bool // use weightName.hf rather than .gguf
	file string
	err  error
}

func (l *weightLoader) name(n weightName, layer int) string {
	s := n.gguf
	if l.hf {
		s = n.hf
	}
	if layer >= 0 {
		s = fmt.Sprintf(s, layer)
	}
	return s
}

// has reports whether the named tensor exists.
func (l *weightLoader) has(n weightName, layer int) bool {
	_, ok := l.src.Tensor(l.name(n, layer))
	return ok
}

// matrix returns the named tensor after checking its shape is (rows, cols)
// and its type has kernels.
func (l *weightLoader) matrix(n weightName, layer, rows, cols int) tensor.Tensor {
	if l.err != nil {
		return tensor.Tensor{}
	}
	name := l.name(n, layer)
	t, ok := l.src.Tensor(name)
	if !ok {
		l.err = &LoadError{File: l.file, Tensor: name, Err: ErrMissingTensor}
		return t
	}
	if len(t.Shape) != 2 || t.Shape[0] != rows || t.Shape[1] != cols {
		l.err = &LoadError{File: l.file, Tensor: name, Err: fmt.Errorf("%w: shape %v, want [%d %d]", ErrShape, t.Shape, rows, cols)}
		return t
	}
	if err := t.Type.Check(); err != nil {
		l.err = &LoadError{File: l.file, Tensor: name, Err: err}
		return t
	}
	rb, err := t.Type.RowBytes(cols)
	if err != nil || len(t.Data) != rows*rb {
		l.err = &LoadError{File: l.file, Tensor: name, Err: fmt.Errorf("%w: %d bytes of %v for shape %v", ErrShape, len(t.Data), t.Type, t.Shape)}
	}
	return t
}

// vector returns the named tensor of n elements as float32.
func (l *weightLoader) vector(name weightName, layer, n int) []float32 {
	if l.err != nil {
		return nil
	}
	full := l.name(name, layer)
	t, ok := l.src.Tensor(full)
	if !ok {
		l.err = &LoadError{File: l.file, Tensor: full, Err: ErrMissingTensor}
		return nil
	}
	if t.Len() != n {
		l.err = &LoadError{File: l.file, Tensor: full, Err: fmt.Errorf("%w: shape %v, want [%d]", ErrShape, t.Shape, n)}
		return nil
	}
	v, err := t.Float32s()
	if err != nil {
		l.err = &LoadError{File: l.file, Tensor: full, Err: err}
	}
	return v
}

// loadWeights reads every weight of a model of configuration c.
func loadWeights(c Config, l *weightLoader) (*Weights, error) {
	w := &Weights{
		TokenEmbed: l.matrix(nameTokenEmbed, -1, c.Vocab, c.Dim),
		OutNorm:    l.vector(nameOutNorm, -1, c.Dim),
		Layers:     make([]Layer, c.Layers),
	}
	if c.TiedOutput {
		w.Output = w.TokenEmbed
	} else {
		w.Output = l.matrix(nameOutput, -1, c.Vocab, c.Dim)
	}
	q, kv := c.QDim(), c.KVDim()
	for i := range w.Layers {
		ly := &w.Layers[i]
		ly.AttnNorm = l.vector(nameAttnNorm, i, c.Dim)
		ly.WQ = l.matrix(nameWQ, i, q, c.Dim)
		ly.WK = l.matrix(nameWK, i, kv, c.Dim)
		ly.WV = l.matrix(nameWV, i, kv, c.Dim)
		if c.QKVBias {
			ly.BQ = l.vector(nameBQ, i, q)
			ly.BK = l.vector(nameBK, i, kv)
			ly.BV = l.vector(nameBV, i, kv)
		}
		ly.WO = l.matrix(nameWO, i, c.Dim, q)
		ly.FFNNorm = l.vector(nameFFNNorm, i, c.Dim)
		ly.WGate = l.matrix(nameWGate, i, c.FF, c.Dim)
		ly.WUp = l.matrix(nameWUp, i, c.FF, c.Dim)
		ly.WDown = l.matrix(nameWDown, i, c.Dim, c.FF)
	}
	if l.err != nil {
		return nil, l.err
	}
	return w, nil
}
