package tensor

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the AVX2 kernels of simd_amd64.s can run here:
// they use AVX2, FMA and F16C (for half-precision scales).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// hasVNNI reports whether the VNNI kernel dotQ8_0x4VNNI can run:
// AVX512-VNNI on 256-bit vectors (AVX512VL). vnniOn off lets tests
// compare the VNNI and AVX-512 kernels with the AVX2 ones.
var hasVNNI = hasAVX2 && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512VL

var vnniOn atomic.Bool

func init() { vnniOn.Store(true) }

//go:noescape
func dotQ8_0x4VNNI(row *byte, q *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotF32AVX2(w, x *float32, n int) float32

//go:noescape
func dotF16AVX2(w *uint16, x *float32, n int) float32

//go:noescape
func dotQ8_0RowsAVX2(rows *byte, q *int8, d *float32, nb, nrows int, out *float32)

//go:noescape
func dotQ4_0AVX2(row *byte, q *int8, d *float32, nb int) float32

// simdDotF32 is dotF32 with the vectorizable part in assembly.
func simdDotF32(w, x []float32) float32 {
	n := len(x) &^ 7
	var s float32
	if n > 0 {
		s = dotF32AVX2(&w[0], &x[0], n)
	}
	for i := n; i < len(x); i++ {
		s += w[i] * x[i]
	}
	return s
}

// simdDotF16 is dotF16 with the vectorizable part in assembly.
func simdDotF16(h []uint16, x []float32) float32 {
	n := len(x) &^ 7
	var s float32
	if n > 0 {
		s = dotF16AVX2(&h[0], &x[0], n)
	}
	for i := n; i < len(x); i++ {
		s += f16Table[h[i]] * x[i]
	}
	return s
}

// simdDotQ8Rows sets out[r] = simdDotQ8(Q8_0, row r, q, d) for the nrows
// Q8_0 rows stored one after another in rows, in one call.
func simdDotQ8Rows(rows []byte, nrows int, q []int8, d []float32, out []float32) {
	if nrows == 0 || len(d) == 0 {
		return
	}
	_, _, _ = rows[nrows*len(d)*(2+QK)-1], q[len(d)*QK-1], out[nrows-1]
	dotQ8_0RowsAVX2(&rows[0], &q[0], &d[0], len(d), nrows, &out[0])
}

// simdDotQ8 computes DotQ8's sum for Q8_0 and Q4_0 rows in assembly.
func simdDotQ8(t Type, row []byte, q []int8, d []float32) float32 {
	if len(d) == 0 {
		return 0
	}
	if t == Q8_0 {
		var out float32
		dotQ8_0RowsAVX2(&row[0], &q[0], &d[0], len(d), 1, &out)
		return out
	}
	return dotQ4_0AVX2(&row[0], &q[0], &d[0], len(d))
}

//go:noescape
func dotQ4KAVX2(row *byte, q *int8, d *float32, bsum *int32, nb int) float32

// simdDotQ4K is dotQ8K for a Q4_K row, wholly in assembly (AVX2).
func simdDotQ4K(row []byte, q []int8, d []float32, bsum []int32) float32 {
	if len(d) == 0 {
		return 0
	}
	_, _, _ = row[len(d)*144-1], q[len(d)*QKK-1], bsum[len(d)*16-1]
	return dotQ4KAVX2(&row[0], &q[0], &d[0], &bsum[0], len(d))
}

//go:noescape
func dotQ6KAVX2(row *byte, q *int8, d *float32, bsum *int32, nb int) float32

// simdDotQ6K is dotQ8K for a Q6_K row, wholly in assembly (AVX2).
func simdDotQ6K(row []byte, q []int8, d []float32, bsum []int32) float32 {
	if len(d) == 0 {
		return 0
	}
	_, _, _ = row[len(d)*210-1], q[len(d)*QKK-1], bsum[len(d)*16-1]
	return dotQ6KAVX2(&row[0], &q[0], &d[0], &bsum[0], len(d))
}

//go:noescape
func dotQ8_0x4AVX2(row *byte, q *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

// simdDotQ8x4 computes DotQ8 of a Q8_0 row with the four vectors
// b0..b0+3 of a.
func simdDotQ8x4(row []byte, a *Q8, b0 int, out *[4]float32) {
	nb := a.n / QK
	_ = a.q[(b0+4)*a.n-1]
	_ = a.d[(b0+4)*nb-1]
	if hasVNNI && vnniOn.Load() {
		dotQ8_0x4VNNI(&row[0], &a.q[b0*a.n], &a.d[b0*nb], nb, a.n, 4*nb, out)
		return
	}
	dotQ8_0x4AVX2(&row[0], &a.q[b0*a.n], &a.d[b0*nb], nb, a.n, 4*nb, out)
}

//go:noescape
func dotF32x4AVX2(w, x *float32, n, stride int, out *[4]float32)

// simdDotF32x4 sets out[v] = w·x[v·n:(v+1)·n] for the four vectors of x
// (len(w) = n a multiple of 8).
func simdDotF32x4(w, x []float32, out *[4]float32) {
	n := len(w)
	_ = x[4*n-1]
	dotF32x4AVX2(&w[0], &x[0], n, 4*n, out)
}

//go:noescape
func dotQ4Kx4AVX2(row *byte, q *int8, d *float32, bsum *int32, nb, qstride, dstride, bstride int, out *[4]float32, scratch *[416]byte)

//go:noescape
func dotQ6Kx4AVX2(row *byte, q *int8, d *float32, bsum *int32, nb, qstride, dstride, bstride int, out *[4]float32, scratch *[416]byte)

// simdDotKx4 computes DotQ8 of a Q4_K or Q6_K row with the four vectors
// b0..b0+3 of a, each weight block decoded once for the four; the results
// are bit-identical to simdDotQ4K's and simdDotQ6K's (the AVX-512 kernels
// where kzOn, the AVX2 ones otherwise).
func simdDotKx4(t Type, row []byte, a *Q8, b0 int, out *[4]float32) {
	nb := a.n / QKK
	_ = a.q[(b0+4)*a.n-1]
	_ = a.d[(b0+4)*nb-1]
	_ = a.bsum[(b0+4)*a.n/16-1]
	_ = row[nb*t.BlockBytes()-1]
	var scratch [416]byte
	q, d, bs := &a.q[b0*a.n], &a.d[b0*nb], &a.bsum[b0*a.n/16]
	if kzOn() {
		if t == Q4_K {
			_, _ = a.msum[(b0+4)*a.n/32-1], a.qz[(b0+4)*a.n-1]
			dotQ4Kx4Z(&row[0], &a.qz[b0*a.n], d, &a.msum[b0*a.n/32], nb, a.n, 4*nb, a.n/8, &out[0])
			return
		}
		_, _ = a.msum16[(b0+4)*a.n/16-1], a.qz6[(b0+4)*a.n-1]
		dotQ6Kx4Z(&row[0], &a.qz6[b0*a.n], d, &a.msum16[b0*a.n/16], nb, a.n, 4*nb, a.n/4, &out[0])
		return
	}
	if t == Q4_K {
		dotQ4Kx4AVX2(&row[0], q, d, bs, nb, a.n, 4*nb, a.n/4, out, &scratch)
		return
	}
	dotQ6Kx4AVX2(&row[0], q, d, bs, nb, a.n, 4*nb, a.n/4, out, &scratch)
}

//go:noescape
func blockAmaxAVX2(x *float32, amax *float32, nblocks, bs int)

//go:noescape
func quantRoundAVX2(x *float32, q *int8, id *float32, nblocks, bs int)

// simdBlockAmax sets amax[b] = max |x| over block b of len(x)/len(amax)
// values (a multiple of 8).
func simdBlockAmax(x, amax []float32) {
	if len(amax) == 0 {
		return
	}
	blockAmaxAVX2(&x[0], &amax[0], len(amax), len(x)/len(amax))
}

// simdQuantRound sets q[i] = int8(math.Round(x[i]·id[b])) for the values
// i of block b, len(x)/len(id) values (a multiple of 32) per block.
func simdQuantRound(x []float32, q []int8, id []float32) {
	if len(id) == 0 {
		return
	}
	_ = q[len(x)-1]
	quantRoundAVX2(&x[0], &q[0], &id[0], len(id), len(x)/len(id))
}

//go:noescape
func axpyAVX2(y, x *float32, alpha float32, n int)

// simdAxpy is Axpy with the vectorizable part in assembly.
func simdAxpy(y []float32, alpha float32, x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		axpyAVX2(&y[0], &x[0], alpha, n)
	}
	for i := n; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// hasKZ reports whether the AVX-512 K-quant kernels (simd_kz_amd64.s)
// can run: AVX512F, BW and VL, and VNNI, besides AVX2, FMA and F16C.
var hasKZ = hasVNNI && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// kzOn reports whether the Q4_K and Q6_K products take the AVX-512
// kernels: every one of them then (one, four and eight vectors), so that
// a row gives the same result whatever the batch; vnniOn off selects the
// AVX2 ones throughout.
func kzOn() bool { return hasKZ && vnniOn.Load() }

//go:noescape
func dotQ4KRowsZ(rows *byte, q *int8, d *float32, bsum *float32, nb, nrows int, out *float32)

//go:noescape
func dotQ4Kx4Z(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32)

//go:noescape
func dotQ6KRowsZ(rows *byte, q *int8, d *float32, bsum *float32, nb, nrows int, out *float32)

// simdDotKRows sets out[r] = DotQ8 of row r of the nrows Q4_K or Q6_K
// rows stored one after another in rows with vector b of a, with the
// AVX-512 kernels only (the caller checks kzOn): bit-identical to
// simdDotQ4K and simdDotQ6K, without a call per row.
func simdDotKRows(t Type, rows []byte, nrows int, a *Q8, b int, out []float32) {
	nb := a.n / QKK
	if nrows == 0 || nb == 0 {
		return
	}
	_ = rows[nrows*nb*t.BlockBytes()-1]
	_ = out[nrows-1]
	d := a.d[b*nb : (b+1)*nb]
	if t == Q4_K {
		ms, qz := a.msum[b*a.n/32:(b+1)*a.n/32], a.qz[b*a.n:(b+1)*a.n]
		dotQ4KRowsZ(&rows[0], &qz[0], &d[0], &ms[0], nb, nrows, &out[0])
		return
	}
	ms, qz := a.msum16[b*a.n/16:(b+1)*a.n/16], a.qz6[b*a.n:(b+1)*a.n]
	dotQ6KRowsZ(&rows[0], &qz[0], &d[0], &ms[0], nb, nrows, &out[0])
}

//go:noescape
func dotQ6Kx4Z(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32)

//go:noescape
func dotQ4Kx8RowsZ(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32, nrows, ostride int)

//go:noescape
func dotQ6Kx8RowsZ(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32, nrows, ostride int)

// simdDotKx8Rows sets out[v·ld+r] = DotQ8 of row r of the nrows Q4_K or
// Q6_K rows stored one after another in rows with vector b0+v of a, for
// the eight vectors from b0, with the AVX-512 kernels only (the caller
// checks kx8()): each weight block decoded once for the eight, rows
// looped in assembly; bit-identical to simdDotKRows and simdDotKx4.
func simdDotKx8Rows(t Type, rows []byte, nrows int, a *Q8, b0 int, out []float32, ld int) {
	nb := a.n / QKK
	if nrows == 0 || nb == 0 {
		return
	}
	_ = rows[nrows*nb*t.BlockBytes()-1]
	_ = out[7*ld+nrows-1]
	_ = a.d[(b0+8)*nb-1]
	d := &a.d[b0*nb]
	if t == Q4_K {
		_, _ = a.msum[(b0+8)*a.n/32-1], a.qz[(b0+8)*a.n-1]
		dotQ4Kx8RowsZ(&rows[0], &a.qz[b0*a.n], d, &a.msum[b0*a.n/32], nb, a.n, 4*nb, a.n/8, &out[0], nrows, 4*ld)
		return
	}
	_, _ = a.msum16[(b0+8)*a.n/16-1], a.qz6[(b0+8)*a.n-1]
	dotQ6Kx8RowsZ(&rows[0], &a.qz6[b0*a.n], d, &a.msum16[b0*a.n/16], nb, a.n, 4*nb, a.n/4, &out[0], nrows, 4*ld)
}

// kx8 reports whether simdDotKx8Rows and simdDotQ8x8Rows can run.
func kx8() bool { return kzOn() }

//go:noescape
func dotQ8_0x8RowsZ(rows *byte, q *int8, corr *int32, dxs *float32, nb, stride int, out *float32, nrows, ostride int)

// simdDotQ8x8Rows sets out[v·ld+r] = DotQ8 of row r of the nrows Q8_0
// rows (an even number of blocks each) stored one after another in rows
// with vector b0+v of a, for the eight vectors from b0, with the AVX-512
// kernel only (the caller checks kx8() and that a holds corr and dxs):
// each pair of weight blocks decoded once for the eight. Its sums differ
// from the one-vector kernel's by float32 rounding.
func simdDotQ8x8Rows(rows []byte, nrows int, a *Q8, b0 int, out []float32, ld int) {
	nb := a.n / QK
	if nrows == 0 || nb == 0 {
		return
	}
	_ = rows[nrows*nb*(2+QK)-1]
	_ = out[7*ld+nrows-1]
	_, _, _ = a.q[(b0+8)*a.n-1], a.corr[(b0+8)*a.n/4-1], a.dxs[(b0+8)*a.n/4-1]
	dotQ8_0x8RowsZ(&rows[0], &a.q[b0*a.n], &a.corr[b0*a.n/4], &a.dxs[b0*a.n/4], nb, a.n, &out[0], nrows, 4*ld)
}
