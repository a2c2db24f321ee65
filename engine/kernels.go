package engine

import (
	"math"
	"sync"

	"github.com/switchboard/switchboard/engine/tensor"
)

// rmsnorm computes out = x / sqrt(mean(x²) + ε) ⊙ w.
func rmsnorm(out, x, w []float32, eps float32) {
	ss := tensor.DotF32(x, x)
	scale := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	for i, v := range x {
		out[i] = w[i] * (v * scale)
	}
}

// layernorm computes out = (x − mean(x)) / sqrt(var(x) + ε) ⊙ w + b.
func layernorm(out, x, w, b []float32, eps float32) {
	var mean float32
	for _, v := range x {
		mean += v
	}
	mean /= float32(len(x))
	var variance float32
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	scale := float32(1 / math.Sqrt(float64(variance/float32(len(x))+eps)))
	for i, v := range x {
		out[i] = w[i]*((v-mean)*scale) + b[i]
	}
}

// gelu computes x = x·Φ(x) with GPT-2's tanh approximation:
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func gelu(x []float32) {
	const c = 0.7978845608028654 // √(2/π)
	for i, v := range x {
		f := float64(v)
		x[i] = float32(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
	}
}

// matmulTask computes out[b] = W·x[b] for a batch of vectors: W (d, n),
// x (batch, n) -> out (batch, d). Most of the time of a forward pass is
// spent here. Q8_0 and Q4_0 weights are multiplied on their stored quants
// with the activations quantized to Q8_0 (q, filled by State.matmul); other
// types use float dot products, a prefill dequantizing each row once for
// the whole batch. Either way each weight row is read from memory once per
// batch and stays in cache while it meets every vector.
type matmulTask struct {
	out, x []float32
	w      tensor.Tensor
	batch  int
	q      *tensor.Q8 // x quantized, for tensor.QuantizeQ8(w.Type)
}

// rowScratch holds float32 copies of weight rows during batched products.
var rowScratch = sync.Pool{New: func() any { return new([]float32) }}

func (m *matmulTask) rows(lo, hi int) {
	n, d := m.w.Shape[1], m.w.Shape[0]
	rb := len(m.w.Data) / d
	if tensor.QuantizeQ8(m.w.Type) {
		tensor.DotQ8Rows(m.w.Type, m.w.Data[lo*rb:hi*rb], hi-lo, m.q, m.out[lo:], d)
		return
	}
	if m.batch == 1 || m.w.Type == tensor.F32 || m.w.Type == tensor.F16 {
		// No decoding needed: F32 in blocks of rows × vectors, F16 one
		// pass over the stored row per vector.
		tensor.DotRowsBatch(m.w.Type, m.w.Data[lo*rb:hi*rb], hi-lo, m.x[:m.batch*n], n, m.out[lo:], d)
		return
	}
	// Prefill: dequantize each row once, then multiply it with every
	// vector of the batch.
	sp := rowScratch.Get().(*[]float32)
	if cap(*sp) < n {
		*sp = make([]float32, n)
	}
	row := (*sp)[:n]
	for r := lo; r < hi; r++ {
		tensor.Dequantize(m.w.Type, row, m.w.Data[r*rb:(r+1)*rb])
		tensor.DotF32Batch(row, m.x[:m.batch*n], m.out[r:], d)
	}
	rowScratch.Put(sp)
}

// addBias computes x[b] += bias for every vector of the batch in x.
func addBias(x, bias []float32) {
	for b := 0; b < len(x); b += len(bias) {
		for i, v := range bias {
			x[b+i] += v
		}
	}
}

// rope rotates each pair of v by its position's angles: for pair i,
// (a, b) -> (a·cos − b·sin, a·sin + b·cos). The pairs are (2i, 2i+1), or
// (i, i+headDim/2) when neox. v holds whole heads of headDim.
func rope(v, cos, sin []float32, headDim int, neox bool) {
	half := headDim / 2
	for h := 0; h < len(v); h += headDim {
		head := v[h : h+headDim]
		for i := 0; i < half; i++ {
			ia, ib := 2*i, 2*i+1
			if neox {
				ia, ib = i, i+half
			}
			a, b := head[ia], head[ib]
			head[ia] = a*cos[i] - b*sin[i]
			head[ib] = a*sin[i] + b*cos[i]
		}
	}
}

// swiglu computes gate = silu(gate) ⊙ up, where silu(g) = g·σ(g).
func swiglu(gate, up []float32) { tensor.SiLUMul(gate, up) }

// dot returns a·b.
func dot(a, b []float32) float32 { return tensor.DotF32(a, b) }

// axpy computes y += α·x.
func axpy(y []float32, alpha float32, x []float32) { tensor.Axpy(y, alpha, x) }

// scale computes x *= α.
func scale(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}
