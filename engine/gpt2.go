package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/switchboard/switchboard/engine/tensor"
)

// GPT-2 (Hugging Face GPT2LMHeadModel): LayerNorm with biases, learned
// absolute positions, multi-head attention with one fused q/k/v
// projection, a GELU feed-forward, biases on every projection and the
// output tied to the token embeddings.
//
// Its projections are stored as Conv1D weights, (in, out), the transpose of
// every other layout here; loading transposes them into float32 copies, the
// one place the engine copies whole matrices. GPT-2 checkpoints are small.

// gpt2Config turns a GPT-2 config.json into a Config.
func gpt2Config(h hfConfig) (Config, error) {
	switch h.Activation {
	case "gelu_new", "gelu_pytorch_tanh", "":
	default:
		return Config{}, fmt.Errorf("%w: gpt2 activation %q (want gelu_new)", ErrConfig, h.Activation)
	}
	c := Config{
		Arch: "gpt2", Dim: h.NEmbd, Layers: h.NLayer, Heads: h.NHead, KVHeads: h.NHead,
		FF: h.NInner, Vocab: h.Vocab, Context: h.NPositions, NormEps: h.LayerNormEps,
		TiedOutput: true, QKVBias: true, LayerNorm: true, LearnedPos: true, GELU: true,
	}
	if c.FF == 0 {
		c.FF = 4 * c.Dim
	}
	if c.Heads > 0 {
		c.HeadDim = c.Dim / c.Heads
	}
	if c.NormEps == 0 {
		c.NormEps = 1e-5
	}
	return c, c.validate()
}

// GPT-2 tensor names in Hugging Face files (the "transformer." prefix is
// present in GPT2LMHeadModel checkpoints and absent in GPT2Model ones).
const (
	gpt2TokenEmbed = "wte.weight"
	gpt2PosEmbed   = "wpe.weight"
	gpt2OutNorm    = "ln_f.weight"
	gpt2OutNormB   = "ln_f.bias"
	gpt2Layer      = "h.%d."
	gpt2AttnNorm   = "ln_1.weight"
	gpt2AttnNormB  = "ln_1.bias"
	gpt2QKV        = "attn.c_attn.weight" // (Dim, 3·Dim): q, k, v side by side
	gpt2QKVB       = "attn.c_attn.bias"
	gpt2O          = "attn.c_proj.weight" // (Dim, Dim)
	gpt2OB         = "attn.c_proj.bias"
	gpt2FFNNorm    = "ln_2.weight"
	gpt2FFNNormB   = "ln_2.bias"
	gpt2Up         = "mlp.c_fc.weight" // (Dim, FF)
	gpt2UpB        = "mlp.c_fc.bias"
	gpt2Down       = "mlp.c_proj.weight" // (FF, Dim)
	gpt2DownB      = "mlp.c_proj.bias"
)

// gpt2Source reads GPT-2 tensors under whichever prefix the file uses.
type gpt2Source struct {
	l      *weightLoader
	prefix string
}

func (g *gpt2Source) get(name string, shape ...int) (tensor.Tensor, []float32) {
	if g.l.err != nil {
		return tensor.Tensor{}, nil
	}
	full := g.prefix + name
	t, ok := g.l.src.Tensor(full)
	if !ok {
		g.l.err = &LoadError{File: g.l.file, Tensor: full, Err: ErrMissingTensor}
		return t, nil
	}
	if fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
		g.l.err = &LoadError{File: g.l.file, Tensor: full, Err: fmt.Errorf("%w: shape %v, want %v", ErrShape, t.Shape, shape)}
		return t, nil
	}
	v, err := t.Float32s()
	if err != nil {
		g.l.err = &LoadError{File: g.l.file, Tensor: full, Err: err}
	}
	return t, v
}

// vector reads a 1-D tensor of n values.
func (g *gpt2Source) vector(name string, n int) []float32 {
	_, v := g.get(name, n)
	return v
}

// conv1D reads a Conv1D weight (in, out) and returns columns [from, to) of
// it as an F32 matrix (to−from, in).
func (g *gpt2Source) conv1D(name string, in, out, from, to int) tensor.Tensor {
	_, v := g.get(name, in, out)
	if v == nil {
		return tensor.Tensor{}
	}
	data := make([]byte, 4*(to-from)*in)
	for o := from; o < to; o++ {
		for i := 0; i < in; i++ {
			binary.LittleEndian.PutUint32(data[4*((o-from)*in+i):], math.Float32bits(v[i*out+o]))
		}
	}
	return tensor.Tensor{Name: g.prefix + name, Type: tensor.F32, Shape: []int{to - from, in}, Data: data}
}

// loadGPT2Weights reads a GPT-2 checkpoint.
func loadGPT2Weights(c Config, l *weightLoader) (*Weights, error) {
	g := &gpt2Source{l: l}
	if _, ok := l.src.Tensor("transformer." + gpt2TokenEmbed); ok {
		g.prefix = "transformer."
	}
	d, ff := c.Dim, c.FF
	w := &Weights{
		TokenEmbed:  l.matrix(weightName{hf: g.prefix + gpt2TokenEmbed}, -1, c.Vocab, d),
		PosEmbed:    l.matrix(weightName{hf: g.prefix + gpt2PosEmbed}, -1, c.Context, d),
		OutNorm:     g.vector(gpt2OutNorm, d),
		OutNormBias: g.vector(gpt2OutNormB, d),
		Layers:      make([]Layer, c.Layers),
	}
	w.Output = w.TokenEmbed
	for i := range w.Layers {
		ly := &w.Layers[i]
		p := g.withLayer(i)
		ly.AttnNorm, ly.AttnNormBias = p.vector(gpt2AttnNorm, d), p.vector(gpt2AttnNormB, d)
		ly.WQ = p.conv1D(gpt2QKV, d, 3*d, 0, d)
		ly.WK = p.conv1D(gpt2QKV, d, 3*d, d, 2*d)
		ly.WV = p.conv1D(gpt2QKV, d, 3*d, 2*d, 3*d)
		if qkv := p.vector(gpt2QKVB, 3*d); qkv != nil {
			ly.BQ, ly.BK, ly.BV = qkv[:d], qkv[d:2*d], qkv[2*d:]
		}
		ly.WO, ly.BO = p.conv1D(gpt2O, d, d, 0, d), p.vector(gpt2OB, d)
		ly.FFNNorm, ly.FFNNormBias = p.vector(gpt2FFNNorm, d), p.vector(gpt2FFNNormB, d)
		ly.WUp, ly.BUp = p.conv1D(gpt2Up, d, ff, 0, ff), p.vector(gpt2UpB, ff)
		ly.WDown, ly.BDown = p.conv1D(gpt2Down, ff, d, 0, d), p.vector(gpt2DownB, d)
	}
	if l.err != nil {
		return nil, l.err
	}
	return w, nil
}

// withLayer returns a source for the tensors of layer i.
func (g *gpt2Source) withLayer(i int) *gpt2Source {
	return &gpt2Source{l: g.l, prefix: g.prefix + fmt.Sprintf(gpt2Layer, i)}
}
