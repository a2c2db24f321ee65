package train

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// A Model is a decoder's parameters in float32, in one flat vector.
type Model struct {
	Config Config
	Params []float32 // every tensor, placed as by layout
	lay    layout
}

// NewModel returns a model of shape c with weights drawn from a normal
// distribution (σ 0.02, output projections scaled by 1/√(2·Layers) as in
// GPT-2) and norm weights 1, from the given seed.
func NewModel(c Config, seed uint64) (*Model, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Config: c, lay: newLayout(c)}
	m.Params = make([]float32, m.lay.size)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	normal := func(v []float32, std float64) {
		for i := range v {
			v[i] = float32(rng.NormFloat64() * std)
		}
	}
	const std = 0.02
	proj := std / math.Sqrt(2*float64(c.Layers))
	normal(m.embed(), std)
	for l := range c.Layers {
		w := m.layer(l)
		fill(w.attnNorm, 1)
		fill(w.ffnNorm, 1)
		normal(w.wq, std)
		normal(w.wk, std)
		normal(w.wv, std)
		normal(w.wo, proj)
		normal(w.gate, std)
		normal(w.up, std)
		normal(w.down, proj)
	}
	fill(m.outNorm(), 1)
	return m, nil
}

func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}

// layerTensors are views of one layer's tensors in a flat vector
// (parameters or gradients). Matrices are (out, in), row-major.
type layerTensors struct {
	attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down []float32
}

func viewLayer(c Config, lo layerOffsets, p []float32) layerTensors {
	d, q, kv := c.Dim, c.qdim(), c.kvdim()
	v := func(off, n int) []float32 { return p[off : off+n : off+n] }
	return layerTensors{
		attnNorm: v(lo.attnNorm, d), wq: v(lo.wq, q*d), wk: v(lo.wk, kv*d), wv: v(lo.wv, kv*d),
		wo: v(lo.wo, d*q), ffnNorm: v(lo.ffnNorm, d), gate: v(lo.gate, c.FF*d), up: v(lo.up, c.FF*d),
		down: v(lo.down, d*c.FF),
	}
}

func (m *Model) layer(l int) layerTensors { return viewLayer(m.Config, m.lay.layers[l], m.Params) }
func (m *Model) embed() []float32 {
	return m.Params[m.lay.embed : m.lay.embed+m.Config.Vocab*m.Config.Dim]
}
func (m *Model) outNorm() []float32 { return m.Params[m.lay.outNorm : m.lay.outNorm+m.Config.Dim] }

// namedTensor is a tensor of the model as GGUF names it.
type namedTensor struct {
	name  string
	shape []int // outermost first
	data  []float32
	norm  bool
}

// tensors lists the model's tensors with their GGUF names, in the order
// llama.cpp's converter writes them.
func (m *Model) tensors() []namedTensor {
	c := m.Config
	d, q, kv := c.Dim, c.qdim(), c.kvdim()
	ts := []namedTensor{{"token_embd.weight", []int{c.Vocab, d}, m.embed(), false}}
	for l := range c.Layers {
		w := m.layer(l)
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			namedTensor{p + "attn_norm.weight", []int{d}, w.attnNorm, true},
			namedTensor{p + "attn_q.weight", []int{q, d}, w.wq, false},
			namedTensor{p + "attn_k.weight", []int{kv, d}, w.wk, false},
			namedTensor{p + "attn_v.weight", []int{kv, d}, w.wv, false},
			namedTensor{p + "attn_output.weight", []int{d, q}, w.wo, false},
			namedTensor{p + "ffn_norm.weight", []int{d}, w.ffnNorm, true},
			namedTensor{p + "ffn_gate.weight", []int{c.FF, d}, w.gate, false},
			namedTensor{p + "ffn_up.weight", []int{c.FF, d}, w.up, false},
			namedTensor{p + "ffn_down.weight", []int{d, c.FF}, w.down, false},
		)
	}
	return append(ts, namedTensor{"output_norm.weight", []int{d}, m.outNorm(), true})
}
