package engine

import (
	"math"

	"github.com/switchboard/switchboard/engine/tensor"
)

// rmsnorm computes out = x / sqrt(mean(x²) + ε) ⊙ w.
func rmsnorm(out, x, w []float32, eps float32) {
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	scale := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	for i, v := range x {
		out[i] = w[i] * (v * scale)
	}
}

// matmulTask computes out[b] = W·x[b] for a batch of vectors: W (d, n),
// x (batch, n) -> out (batch, d). Each row of W is read once for the whole
// batch. Most of the time of a forward pass is spent here.
type matmulTask struct {
	out, x []float32
	w      tensor.Tensor
	batch  int
}

func (m *matmulTask) rows(lo, hi int) {
	n, d := m.w.Shape[1], m.w.Shape[0]
	rb := len(m.w.Data) / d
	for r := lo; r < hi; r++ {
		row := m.w.Data[r*rb : (r+1)*rb]
		for b := 0; b < m.batch; b++ {
			m.out[b*d+r] = tensor.DotRow(m.w.Type, row, m.x[b*n:(b+1)*n])
		}
	}
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
func swiglu(gate, up []float32) {
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// dot returns a·b.
func dot(a, b []float32) float32 {
	var s float32
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// axpy computes y += α·x.
func axpy(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// scale computes x *= α.
func scale(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}
