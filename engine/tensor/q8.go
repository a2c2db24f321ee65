package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Q8 holds a batch of activation vectors quantized to 8 bits per value,
// in the layout ggml pairs with a weight type: Q8_0 blocks of 32 values
// (scale rounded to float16, as ggml stores it) for Q8_0 and Q4_0 rows,
// Q8_K blocks of 256 (float32 scale, plus the sum of every 16 quants) for
// Q4_K and Q6_K rows. Each block has a scale d and quants q with x ≈ d·q,
// d = max|x|/127. Quantizing the vector once per matrix-vector product
// lets DotQ8 multiply weight rows with integer arithmetic on the stored
// quants, as llama.cpp does. The zero value is ready to use; buffers grow
// to the largest batch and are reused, so a steady decode loop does not
// allocate.
type Q8 struct {
	n    int       // values per vector
	bs   int       // values per block: QK or QKK
	q    []int8    // quants, vector after vector
	d    []float32 // one scale per block
	bsum []int32   // Q8_K: the sum of each 16 quants
	// msum is, for each 32-quant sub-block of each Q8_K block, d times
	// the sum of its quants: the AVX-512 Q4_K kernels take the minimums'
	// term (dmin·m times it) with one masked fused multiply-add per block.
	msum []float32
	// qz is q with each Q8_K block's 32 quadwords transposed (quadword
	// 4j+k to 8k+j), the order in which the AVX-512 Q4_K kernels decode
	// the weights: there each 64-byte register holds 8 quants of every
	// sub-block, so the four meet the same scales (where hasKZ).
	qz []int8
	// qz6 is q in the order the AVX-512 Q6_K kernels decode the weights:
	// 64-byte register k of a block holds quants 4k..4k+3 of each of its
	// sixteen 16-quant sub-blocks (where hasKZ); msum16 is, for each
	// sub-block, d times the sum of its quants (the Q6_K −32 offset).
	qz6    []int8
	msum16 []float32
	// corr and dxs, for Q8_0 batches of eight vectors or more where the
	// AVX-512 kernels run (x8Ready), hold per 64 quants (a pair of
	// blocks) the int32 lanes the eight-vector kernel's sums start from
	// (−128·Σq of each block in lanes 0 and 8, the rest 0) and the two
	// block scales spread over eight lanes each.
	corr []int32
	dxs  []float32
	id   []float32 // scratch: 1/d per block, for the SIMD quantizer
}

// QuantizeQ8 reports whether DotQ8 handles rows of type t.
func QuantizeQ8(t Type) bool { return t == Q8_0 || t == Q4_0 || t == Q4_K || t == Q6_K }

// SameQ8 reports whether DotQ8 multiplies rows of types a and b (both
// QuantizeQ8) with the same quantization of the activations, so that one
// Q8 serves both.
func SameQ8(a, b Type) bool { return QuantizeQ8(a) && QuantizeQ8(b) && q8Block(a) == q8Block(b) }

// q8Block returns the activation block size DotQ8 uses with rows of t.
func q8Block(t Type) int {
	if t == Q4_K || t == Q6_K {
		return QKK
	}
	return QK
}

// Quantize stores x, len(x)/n vectors of n values each, in the layout
// rows of type t (see QuantizeQ8) are multiplied with, replacing what a
// held. n must be a multiple of t's block size; Quantize panics with
// ErrShape if it is not.
func (a *Q8) Quantize(t Type, x []float32, n int) {
	bs := q8Block(t)
	if !QuantizeQ8(t) || n <= 0 || n%bs != 0 || len(x)%n != 0 {
		panic(fmt.Errorf("quantize q8 for %v: %w: %d values in vectors of %d", t, ErrShape, len(x), n))
	}
	a.n, a.bs = n, bs
	if cap(a.q) < len(x) {
		a.q = make([]int8, len(x))
		a.d = make([]float32, len(x)/QK)
		a.bsum = make([]int32, len(x)/16)
	}
	a.q, a.d = a.q[:len(x)], a.d[:len(x)/bs]
	if simdOn.Load() {
		a.quantizeSIMD(x, bs)
	} else {
		a.quantize(x, bs)
	}
	if bs == QK {
		a.prepareX8(len(x) / n)
	}
	if bs == QKK {
		a.bsum = a.bsum[:len(x)/16]
		for i := range a.bsum {
			var s int32
			for _, v := range a.q[16*i : 16*i+16] {
				s += int32(v)
			}
			a.bsum[i] = s
		}
		if hasKZ {
			a.transposeQZ()
		}
		if cap(a.msum16) < len(x)/16 {
			a.msum16 = make([]float32, len(x)/16)
		}
		a.msum16 = a.msum16[:len(x)/16]
		for i := range a.msum16 {
			a.msum16[i] = a.d[i/16] * float32(a.bsum[i])
		}
		if cap(a.msum) < len(x)/32 {
			a.msum = make([]float32, len(x)/32)
		}
		a.msum = a.msum[:len(x)/32]
		for i := range a.msum {
			a.msum[i] = a.d[i/8] * float32(a.bsum[2*i]+a.bsum[2*i+1])
		}
	}
}

// transposeQZ fills qz and qz6 from q.
func (a *Q8) transposeQZ() {
	if cap(a.qz) < len(a.q) {
		a.qz, a.qz6 = make([]int8, len(a.q)), make([]int8, len(a.q))
	}
	a.qz, a.qz6 = a.qz[:len(a.q)], a.qz6[:len(a.q)]
	if len(a.q) == 0 {
		return
	}
	q, qz, qz6 := int8Bytes(a.q), int8Bytes(a.qz), int8Bytes(a.qz6)
	le := binary.LittleEndian
	for b := 0; b < len(q); b += QKK {
		src := q[b : b+QKK : b+QKK]
		dst, dst6 := qz[b:b+QKK:b+QKK], qz6[b:b+QKK:b+QKK]
		for k := 0; k < 4; k++ {
			for j := 0; j < 8; j++ {
				le.PutUint64(dst[64*k+8*j:], le.Uint64(src[32*j+8*k:]))
			}
			for j := 0; j < 16; j++ {
				le.PutUint32(dst6[64*k+4*j:], le.Uint32(src[16*j+4*k:]))
			}
		}
	}
}

// int8Bytes returns the memory of q as bytes.
func int8Bytes(q []int8) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(q))), len(q))
}

// x8Ready reports whether a, holding Q8_0 blocks, has what the
// eight-vector AVX-512 Q8_0 kernel reads (see prepareX8).
func (a *Q8) x8Ready() bool { return a.bs == QK && len(a.corr) == len(a.q)/4 && len(a.q) > 0 }

// prepareX8 fills corr and dxs for a batch of B vectors of Q8_0 blocks
// when the eight-vector kernel will take it (and empties them otherwise).
func (a *Q8) prepareX8(B int) {
	a.corr, a.dxs = a.corr[:0], a.dxs[:0]
	if B < 8 || !simdOn.Load() || !kx8() || (a.n/QK)%2 != 0 {
		return
	}
	m := len(a.q) / 4
	if cap(a.corr) < m {
		a.corr, a.dxs = make([]int32, m), make([]float32, m)
	}
	a.corr, a.dxs = a.corr[:m], a.dxs[:m]
	for b, d := range a.d {
		var s int32
		for _, v := range a.q[b*QK : b*QK+QK] {
			s += int32(v)
		}
		lanes := a.corr[b*8 : b*8+8 : b*8+8]
		clear(lanes)
		lanes[0] = -128 * s
		ds := a.dxs[b*8 : b*8+8 : b*8+8]
		for i := range ds {
			ds[i] = d
		}
	}
}

// quantizeSIMD is quantize with the per-value work in assembly, giving
// the same quants and scales.
func (a *Q8) quantizeSIMD(x []float32, bs int) {
	if cap(a.id) < len(a.d) {
		a.id = make([]float32, len(a.d))
	}
	id := a.id[:len(a.d)]
	simdBlockAmax(x, a.d)
	for b, amax := range a.d {
		d := amax / 127
		id[b] = 0
		if d != 0 {
			id[b] = 1 / d
		}
		if bs == QK {
			d = f16Table[Float32ToFloat16(d)]
		}
		a.d[b] = d
	}
	simdQuantRound(x, a.q, id)
}

// quantize sets a's quants and block scales (not bsum) for x, in blocks
// of bs.
func (a *Q8) quantize(x []float32, bs int) {
	for b := range a.d {
		xs := x[b*bs : b*bs+bs : b*bs+bs]
		var amax float32
		for _, v := range xs {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		if bs == QK {
			d = f16Table[Float32ToFloat16(d)]
		}
		a.d[b] = d
		qs := a.q[b*bs : b*bs+bs : b*bs+bs]
		for j, v := range xs {
			qs[j] = int8(math.Round(float64(v * id)))
		}
	}
}

// Len returns the number of vectors held.
func (a *Q8) Len() int {
	if a.n == 0 {
		return 0
	}
	return len(a.q) / a.n
}

// DotQ8 returns the dot product of a stored row of type t (see
// QuantizeQ8) with vector b of a, which must have been quantized for t:
// per block, the weight and activation scales times integer sums of the
// stored quants times the activation quants, exact. It differs from
// DotRow on the float vector by the rounding of the activations to 8 bits
// (an error per value of at most half a step, max|x_block|/254), which is
// what llama.cpp computes too. It panics with ErrShape if the lengths or
// layouts do not fit.
func DotQ8(t Type, row []byte, a *Q8, b int) float32 {
	if !QuantizeQ8(t) {
		panic(fmt.Errorf("dot q8: %w %v", ErrUnsupported, t))
	}
	checkRow(t, row, a.n)
	if b < 0 || b >= a.Len() || a.bs != q8Block(t) {
		panic(fmt.Errorf("dot q8 %v: %w: vector %d of %d in blocks of %d", t, ErrShape, b, a.Len(), a.bs))
	}
	nb := a.n / a.bs
	q, d := a.q[b*a.n:(b+1)*a.n], a.d[b*nb:(b+1)*nb]
	switch t {
	case Q8_0, Q4_0:
		if simdOn.Load() {
			return simdDotQ8(t, row, q, d)
		}
		if t == Q8_0 {
			return dotQ8Q8_0(row, q, d)
		}
		return dotQ8Q4_0(row, q, d)
	}
	if simdOn.Load() && kzOn() {
		var out [1]float32
		simdDotKRows(t, row, 1, a, b, out[:])
		return out[0]
	}
	return dotQ8K(t, row, q, d, a.bsum[b*a.n/16:(b+1)*a.n/16])
}

func dotQ8Q8_0(row []byte, q []int8, d []float32) float32 {
	const bb = 2 + QK
	var sum float32
	for b := range d {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		qs := q[b*QK : b*QK+QK : b*QK+QK]
		var s int32
		for j, w := range blk[2:bb] {
			s += int32(int8(w)) * int32(qs[j])
		}
		sum += f16Table[binary.LittleEndian.Uint16(blk)] * d[b] * float32(s)
	}
	return sum
}

func dotQ8Q4_0(row []byte, q []int8, d []float32) float32 {
	const bb = 2 + QK/2
	var sum float32
	for b := range d {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		qs := q[b*QK : b*QK+QK : b*QK+QK]
		var s int32
		for j, w := range blk[2:bb] {
			s += (int32(w&0xf)-8)*int32(qs[j]) + (int32(w>>4)-8)*int32(qs[j+QK/2])
		}
		sum += f16Table[binary.LittleEndian.Uint16(blk)] * d[b] * float32(s)
	}
	return sum
}

// q6Order is the order in which the Q6_K sums come out of sumsQ6K: the
// 16-element sub-block of each.
var q6Order = [16]int{0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15}

// dotQ8K is DotQ8 for Q4_K and Q6_K rows where the AVX-512 kernels are
// off (kzOn false): the AVX2 kernels, or the
// integer sums of quants within each sub-block from sumsQ4K/sumsQ6K in
// chunks of up to 16 blocks with the scales and minimums applied here:
// Q4_K: d·dx·Σ sc·Σ(u·q) − dmin·dx·Σ m·Σq, Q6_K: d·dx·Σ sc·(Σ(u·q) − 32·Σq).
func dotQ8K(t Type, row []byte, q []int8, d []float32, bsum []int32) float32 {
	if simdOn.Load() {
		if t == Q4_K {
			return simdDotQ4K(row, q, d, bsum)
		}
		return simdDotQ6K(row, q, d, bsum)
	}
	bb := t.BlockBytes()
	var sums [16 * 16]int32
	var total float32
	for c := 0; c < len(d); c += 16 {
		nb := min(16, len(d)-c)
		r, qs := row[c*bb:(c+nb)*bb], q[c*QKK:(c+nb)*QKK]
		if t == Q4_K {
			sumsQ4K(r, qs, nb, sums[:])
		} else {
			sumsQ6K(r, qs, nb, sums[:])
		}
		for k := 0; k < nb; k++ {
			blk, bs := r[k*bb:(k+1)*bb], bsum[(c+k)*16:(c+k)*16+16]
			dx := d[c+k]
			if t == Q4_K {
				is := sums[8*k : 8*k+8 : 8*k+8]
				sc, m := unpackScalesK4(blk[4:16])
				var sumi, summ int32
				for j := 0; j < 8; j++ {
					sumi += int32(sc>>(8*j)&0xff) * is[j]
					summ += int32(m>>(8*j)&0xff) * (bs[2*j] + bs[2*j+1])
				}
				dw := f16Table[binary.LittleEndian.Uint16(blk)] * dx
				dmin := f16Table[binary.LittleEndian.Uint16(blk[2:])] * dx
				total += dw*float32(sumi) - dmin*float32(summ)
				continue
			}
			is := sums[16*k : 16*k+16]
			sc := blk[QKK/2+QKK/4 : QKK/2+QKK/4+16]
			var sumi int32
			for j, sb := range q6Order {
				sumi += int32(int8(sc[sb])) * (is[j] - 32*bs[sb])
			}
			total += f16Table[binary.LittleEndian.Uint16(blk[QKK/2+QKK/4+16:])] * dx * float32(sumi)
		}
	}
	return total
}

// sumsQ4K writes, for each of nb Q4_K blocks, the 8 sums Σ u·q over its
// 32-element sub-blocks (u the unsigned 4-bit quant).
func sumsQ4K(row []byte, q []int8, nb int, out []int32) {
	const bb = 4 + 12 + QKK/2
	for b := 0; b < nb; b++ {
		qs := row[b*bb+16 : b*bb+bb]
		y := q[b*QKK : b*QKK+QKK]
		for j := 0; j < 4; j++ {
			var lo, hi int32
			for l := 0; l < 32; l++ {
				v := qs[32*j+l]
				lo += int32(v&0xf) * int32(y[64*j+l])
				hi += int32(v>>4) * int32(y[64*j+32+l])
			}
			out[8*b+2*j], out[8*b+2*j+1] = lo, hi
		}
	}
}

// sumsQ6K writes, for each of nb Q6_K blocks, the 16 sums Σ u·q over its
// 16-element sub-blocks (u the unsigned 6-bit quant), in q6Order.
func sumsQ6K(row []byte, q []int8, nb int, out []int32) {
	const bb = QKK/2 + QKK/4 + QKK/16 + 2
	for b := 0; b < nb; b++ {
		blk := row[b*bb : b*bb+bb]
		y := q[b*QKK : b*QKK+QKK]
		var s [16]int32 // by sub-block
		for n := 0; n < 2; n++ {
			l64, h32 := blk[64*n:64*n+64], blk[QKK/2+32*n:QKK/2+32*n+32]
			for l := 0; l < 32; l++ {
				u := [4]byte{
					l64[l]&0xf | (h32[l]&3)<<4,
					l64[l+32]&0xf | (h32[l]>>2&3)<<4,
					l64[l]>>4 | (h32[l]>>4&3)<<4,
					l64[l+32]>>4 | (h32[l]>>6&3)<<4,
				}
				for k, v := range u {
					e := 128*n + 32*k + l
					s[e/16] += int32(v) * int32(y[e])
				}
			}
		}
		for j, sb := range q6Order {
			out[16*b+j] = s[sb]
		}
	}
}

// unpackScalesK4 returns the eight 6-bit scales and eight 6-bit minimums
// of a Q4_K/Q5_K block (see scaleMinK4), one per byte of sc and m,
// sub-block 0 in the lowest byte.
func unpackScalesK4(s []byte) (sc, m uint64) {
	const low6, low4, top2 = 0x3f3f3f3f, 0x0f0f0f0f, 0x03030303
	a := binary.LittleEndian.Uint32(s)
	b := binary.LittleEndian.Uint32(s[4:])
	c := binary.LittleEndian.Uint32(s[8:])
	// Sub-blocks 0-3 keep the low 6 bits of bytes 0-3 (scales) and 4-7
	// (minimums); sub-blocks 4-7 take 4 bits from bytes 8-11 and their top
	// 2 bits from the top bits of bytes 0-3 (scales) and 4-7 (minimums).
	sc = uint64(a&low6) | uint64(c&low4|(a>>6&top2)<<4)<<32
	m = uint64(b&low6) | uint64(c>>4&low4|(b>>6&top2)<<4)<<32
	return sc, m
}

// tileBytes is the weight bytes DotQ8Rows keeps in cache while they meet
// four vectors.
const tileBytes = 16 << 10

// DotQ8Rows computes out[b*ld+r] = DotQ8(t, row r, a, b) for the nrows
// rows stored one after another in rows and every vector b of a: a
// matrix product with quantized activations, checked once. With SIMD,
// Q8_0, Q4_K and Q6_K rows meet four vectors per pass over the row (each
// block decoded once for the four; eight with the AVX-512 kernels), with
// results bit-identical to DotQ8's for the K-quants and equal to float32
// rounding for Q8_0; one vector takes all the rows in one call. It panics
// with ErrShape if the lengths do not fit.
func DotQ8Rows(t Type, rows []byte, nrows int, a *Q8, out []float32, ld int) {
	if nrows == 0 {
		return
	}
	if !QuantizeQ8(t) || len(rows)%nrows != 0 || a.bs != q8Block(t) {
		panic(fmt.Errorf("dot q8 rows %v: %w", t, ErrShape))
	}
	rb := len(rows) / nrows
	checkRow(t, rows[:rb], a.n)
	B := a.Len()
	if B > 0 && (ld < nrows || len(out) < (B-1)*ld+nrows) {
		panic(fmt.Errorf("dot q8 rows %v: %w: %d outputs for %d×%d with stride %d", t, ErrShape, len(out), B, nrows, ld))
	}
	nb := a.n / a.bs
	simd := simdOn.Load()
	x4 := simd && t != Q4_0
	// Tiles of rows × 4 vectors: a tile's rows (tileBytes) and the four
	// vectors' quants stay in L1 while they meet, so neither is streamed
	// from further out once per partner.
	tile := max(1, tileBytes/rb)
	x8 := simd && (t == Q4_K || t == Q6_K) && kx8()
	q8x8 := simd && t == Q8_0 && a.x8Ready()
	if B == 1 {
		tile = nrows // nothing to share between vectors
	}
	var o [4]float32
	for r0 := 0; r0 < nrows; r0 += tile {
		r1 := min(nrows, r0+tile)
		b0 := 0
		for ; x8 && b0+8 <= B; b0 += 8 {
			simdDotKx8Rows(t, rows[r0*rb:r1*rb], r1-r0, a, b0, out[b0*ld+r0:], ld)
		}
		for ; q8x8 && b0+8 <= B; b0 += 8 {
			simdDotQ8x8Rows(rows[r0*rb:r1*rb], r1-r0, a, b0, out[b0*ld+r0:], ld)
		}
		for ; x4 && b0+4 <= B; b0 += 4 {
			for r := r0; r < r1; r++ {
				row := rows[r*rb : (r+1)*rb : (r+1)*rb]
				if t == Q8_0 {
					simdDotQ8x4(row, a, b0, &o)
				} else {
					simdDotKx4(t, row, a, b0, &o)
				}
				out[b0*ld+r], out[(b0+1)*ld+r], out[(b0+2)*ld+r], out[(b0+3)*ld+r] = o[0], o[1], o[2], o[3]
			}
		}
		if simd && t == Q8_0 {
			for b := b0; b < B; b++ {
				simdDotQ8Rows(rows[r0*rb:r1*rb], r1-r0, a.q[b*a.n:(b+1)*a.n], a.d[b*nb:(b+1)*nb], out[b*ld+r0:b*ld+r1])
			}
			continue
		}
		if x8 { // the AVX-512 K-quant kernels: one vector, many rows
			for b := b0; b < B; b++ {
				simdDotKRows(t, rows[r0*rb:r1*rb], r1-r0, a, b, out[b*ld+r0:b*ld+r1])
			}
			continue
		}
		for r := r0; r < r1; r++ {
			row := rows[r*rb : (r+1)*rb : (r+1)*rb]
			for b := b0; b < B; b++ {
				q, d := a.q[b*a.n:(b+1)*a.n], a.d[b*nb:(b+1)*nb]
				switch {
				case t == Q4_K || t == Q6_K:
					out[b*ld+r] = dotQ8K(t, row, q, d, a.bsum[b*a.n/16:(b+1)*a.n/16])
				case simd:
					out[b*ld+r] = simdDotQ8(t, row, q, d)
				case t == Q8_0:
					out[b*ld+r] = dotQ8Q8_0(row, q, d)
				default:
					out[b*ld+r] = dotQ8Q4_0(row, q, d)
				}
			}
		}
	}
}
