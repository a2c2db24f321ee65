package tensor

import "golang.org/x/sys/cpu"

//go:noescape
func expSumAVX2(x *float32, n int, m float32) float32

//go:noescape
func siluMulAVX2(gate, up *float32, n int)

//go:noescape
func weightedSumAVX2(out, p, v *float32, k, cols, stride int)

// simdExpSum is ExpSum for len(x) a multiple of 8.
func simdExpSum(x []float32, m float32) float32 {
	return expSumAVX2(&x[0], len(x), m)
}

// simdSiLUMul is SiLUMul for len(g) a multiple of 8.
func simdSiLUMul(g, u []float32) {
	_ = u[len(g)-1]
	siluMulAVX2(&g[0], &u[0], len(g))
}

// simdWeightedSum is WeightedSum for len(out) a multiple of 8, the
// lengths checked.
func simdWeightedSum(out, p, v []float32, stride int) {
	weightedSumAVX2(&out[0], &p[0], &v[0], len(p), len(out), 4*stride)
}

//go:noescape
func sumAVX2(x *float32, n int) float32

// simdSum is Sum for len(x) a multiple of 64.
func simdSum(x []float32) float32 { return sumAVX2(&x[0], len(x)) }

// hasAVX512 reports whether the AVX-512 kernels dotF32x4xNAVX512 and
// dotF32RowsAVX512 can run (AVX512F, and AVX512VL for their reductions).
var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

//go:noescape
func dotF32x4xNAVX512(w *float32, wstride int, x *float32, xstride, n, groups int, out *float32, ostride int)

// simdDotF32x4xN sets out[v·ld+i] = w[i]·x[v] for the four rows of w
// (n values each, a multiple of 16) and the len(x)/n vectors of x (a
// multiple of four), in one call.
func simdDotF32x4xN(w, x []float32, n int, out []float32, ld int) {
	B := len(x) / n
	if B == 0 {
		return
	}
	_, _ = w[4*n-1], out[(B-1)*ld+3]
	dotF32x4xNAVX512(&w[0], 4*n, &x[0], 4*n, n, B/4, &out[0], 4*ld)
}

//go:noescape
func dotF32RowsAVX512(w, x *float32, n, nrows int, out *float32)

// simdDotF32Rows sets out[r] = w[r·n:(r+1)·n]·x for the len(w)/n rows of
// w (n = len(x), a multiple of 16), in one call.
func simdDotF32Rows(w, x, out []float32) {
	n := len(x)
	nrows := len(w) / n
	if nrows == 0 {
		return
	}
	_, _ = w[nrows*n-1], out[nrows-1]
	dotF32RowsAVX512(&w[0], &x[0], n, nrows, &out[0])
}

//go:noescape
func attnScoresAVX512(q, k, v *float32, hd, n int, out *float32)

// simdAttnScores is AttnScores for len(q) a multiple of 16, the lengths
// checked.
func simdAttnScores(q, keys, values, out []float32) {
	attnScoresAVX512(&q[0], &keys[0], &values[0], len(q), len(out), &out[0])
}

//go:noescape
func toF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func fromF16AVX2(dst *float32, src *uint16, n int)

//go:noescape
func weightedSumF16AVX2(out, p *float32, v *uint16, k, cols, stride int)

//go:noescape
func attnScoresF16AVX512(q *float32, k, v *uint16, hd, n int, out *float32) float32

// simdToFloat16 is ToFloat16 for len(src) a positive multiple of 8.
func simdToFloat16(dst []uint16, src []float32) {
	_ = dst[len(src)-1]
	toF16AVX2(&dst[0], &src[0], len(src))
}

// simdFromFloat16 is FromFloat16 for len(src) a positive multiple of 8.
func simdFromFloat16(dst []float32, src []uint16) {
	_ = dst[len(src)-1]
	fromF16AVX2(&dst[0], &src[0], len(src))
}

// simdWeightedSumF16 is WeightedSumF16 for len(out) a multiple of 8, the
// lengths checked.
func simdWeightedSumF16(out, p []float32, v []uint16, stride int) {
	weightedSumF16AVX2(&out[0], &p[0], &v[0], len(p), len(out), 2*stride)
}

// simdAttnScoresF16 is AttnScoresF16 for len(q) a multiple of 16, the
// lengths checked.
func simdAttnScoresF16(q []float32, keys, values []uint16, out []float32) float32 {
	return attnScoresF16AVX512(&q[0], &keys[0], &values[0], len(q), len(out), &out[0])
}
