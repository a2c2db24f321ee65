// Package train trains the Llama-family decoder that package engine runs:
// float32 parameters, forward and backward passes written out by hand
// (in the manner of llm.c), AdamW with warm-up and cosine decay, global
// gradient-norm clipping, exact checkpoints, and GGUF output that
// engine.Load and llama.cpp read. It also learns byte-level BPE
// vocabularies (TrainBPE).
//
// The architecture is exactly what engine loads from a GGUF file of
// architecture "llama": token embedding (tied to the output), per layer
// RMSNorm, attention with grouped-query heads and RoPE over interleaved
// pairs (2i, 2i+1) as GGUF llama files are rotated, RMSNorm and a SwiGLU
// feed-forward, then a final RMSNorm. Q and K rows are therefore stored
// in GGUF exactly as trained; no permutation is needed.
//
// Everything is deterministic: the same seed, data and batch shape give
// bit-identical losses, whatever the number of threads, because every
// output element of every kernel is computed by one goroutine in a fixed
// order.
package train

import (
	"errors"
	"fmt"
)

// ErrConfig reports hyperparameters the trainer cannot use.
var ErrConfig = errors.New("train: invalid config")

// A Config is a model's shape.
type Config struct {
	Dim       int     // width of the residual stream
	Layers    int     // transformer blocks
	Heads     int     // query heads
	KVHeads   int     // key/value heads; Heads is a multiple (grouped-query attention)
	FF        int     // hidden width of the SwiGLU feed-forward
	Vocab     int     // tokens
	Context   int     // longest sequence, written to GGUF as llama.context_length
	RopeTheta float64 // RoPE base θ (10000 when zero)
	NormEps   float64 // RMSNorm ε (1e-5 when zero)
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Dim / c.Heads }

func (c Config) qdim() int  { return c.Heads * c.HeadDim() }
func (c Config) kvdim() int { return c.KVHeads * c.HeadDim() }

// withDefaults fills RopeTheta and NormEps and KVHeads when zero.
func (c Config) withDefaults() Config {
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.NormEps == 0 {
		c.NormEps = 1e-5
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	return c
}

// Validate checks that c describes a model the trainer can build.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"layers", c.Layers}, {"heads", c.Heads}, {"kv heads", c.KVHeads},
		{"ff", c.FF}, {"vocab", c.Vocab}, {"context", c.Context}} {
		if f.v <= 0 || f.v > 1<<20 {
			return fmt.Errorf("%w: %s = %d", ErrConfig, f.name, f.v)
		}
	}
	if c.Dim%c.Heads != 0 {
		return fmt.Errorf("%w: dim %d is not a multiple of %d heads", ErrConfig, c.Dim, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("%w: %d heads is not a multiple of %d kv heads", ErrConfig, c.Heads, c.KVHeads)
	}
	if c.HeadDim()%2 != 0 {
		return fmt.Errorf("%w: head dim %d is odd", ErrConfig, c.HeadDim())
	}
	if !(c.RopeTheta > 0) || !(c.NormEps > 0) {
		return fmt.Errorf("%w: rope theta %v, norm eps %v", ErrConfig, c.RopeTheta, c.NormEps)
	}
	return nil
}

// layerOffsets are the offsets of one layer's tensors in the flat
// parameter vector.
type layerOffsets struct {
	attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down int
}

// layout places every tensor in one flat vector: the embedding, each
// layer, then the final norm.
type layout struct {
	embed   int
	layers  []layerOffsets
	outNorm int
	size    int
	// norms lists [start, end) ranges of the norm weights, which get no
	// weight decay; the embedding is excluded too.
	norms [][2]int
}

func newLayout(c Config) layout {
	var l layout
	off := 0
	take := func(n int) int { o := off; off += n; return o }
	d, q, kv := c.Dim, c.qdim(), c.kvdim()
	l.embed = take(c.Vocab * d)
	l.layers = make([]layerOffsets, c.Layers)
	for i := range l.layers {
		lo := &l.layers[i]
		lo.attnNorm = take(d)
		l.norms = append(l.norms, [2]int{lo.attnNorm, lo.attnNorm + d})
		lo.wq = take(q * d)
		lo.wk = take(kv * d)
		lo.wv = take(kv * d)
		lo.wo = take(d * q)
		lo.ffnNorm = take(d)
		l.norms = append(l.norms, [2]int{lo.ffnNorm, lo.ffnNorm + d})
		lo.gate = take(c.FF * d)
		lo.up = take(c.FF * d)
		lo.down = take(d * c.FF)
	}
	l.outNorm = take(d)
	l.norms = append(l.norms, [2]int{l.outNorm, l.outNorm + d})
	l.size = off
	return l
}

// Params returns the number of parameters of a model of shape c.
func (c Config) Params() int { return newLayout(c.withDefaults()).size }
