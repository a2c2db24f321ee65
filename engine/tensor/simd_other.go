//go:build !amd64

package tensor

import "sync/atomic"

// hasAVX2 is false off amd64: only the portable kernels exist.
const hasAVX2 = false

func simdDotF32(w, x []float32) float32                           { panic("unreachable") }
func simdDotF16(h []uint16, x []float32) float32                  { panic("unreachable") }
func simdDotQ8(t Type, row []byte, q []int8, d []float32) float32 { panic("unreachable") }

func simdDotQ8x4(row []byte, a *Q8, b0 int, out *[4]float32) { panic("unreachable") }

func simdDotQ4K(row []byte, q []int8, d []float32, bsum []int32) float32 { panic("unreachable") }

func simdDotQ6K(row []byte, q []int8, d []float32, bsum []int32) float32 { panic("unreachable") }

func simdDotF32x4(w, x []float32, out *[4]float32) { panic("unreachable") }

func simdDotKx4(t Type, row []byte, a *Q8, b0 int, out *[4]float32) { panic("unreachable") }

func simdBlockAmax(x, amax []float32) { panic("unreachable") }

func simdQuantRound(x []float32, q []int8, id []float32) { panic("unreachable") }

func simdAxpy(y []float32, alpha float32, x []float32) { panic("unreachable") }

func simdExpSum(x []float32, m float32) float32 { panic("unreachable") }

func simdSiLUMul(g, u []float32) { panic("unreachable") }

func simdWeightedSum(out, p, v []float32, stride int) { panic("unreachable") }

func simdSum(x []float32) float32 { panic("unreachable") }

const hasAVX512 = false

func simdDotF32x4xN(w, x []float32, n int, out []float32, ld int) { panic("unreachable") }

func kx8() bool { return false }

func simdDotKx8Rows(t Type, rows []byte, nrows int, a *Q8, b0 int, out []float32, ld int) {
	panic("unreachable")
}

func simdDotKRows(t Type, rows []byte, nrows int, a *Q8, b int, out []float32) { panic("unreachable") }

// hasKZ is false off amd64: no AVX-512 K-quant kernels, and vnniOn
// selects nothing.
const hasKZ = false

var vnniOn atomic.Bool

func simdDotQ8Rows(rows []byte, nrows int, q []int8, d []float32, out []float32) {
	panic("unreachable")
}

func simdDotF32Rows(w, x, out []float32) { panic("unreachable") }

func simdAttnScores(q, keys, values, out []float32) { panic("unreachable") }

func simdDotQ8x8Rows(rows []byte, nrows int, a *Q8, b0 int, out []float32, ld int) {
	panic("unreachable")
}

func kzOn() bool { return false }

func simdToFloat16(dst []uint16, src []float32) { panic("unreachable") }

func simdFromFloat16(dst []float32, src []uint16) { panic("unreachable") }

func simdWeightedSumF16(out, p []float32, v []uint16, stride int) { panic("unreachable") }

func simdAttnScoresF16(q []float32, keys, values []uint16, out []float32) float32 {
	panic("unreachable")
}
