package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// DotRow returns Σ row[j]·x[j] for one stored row of type t, computed block
// by block on the stored data without allocating. row must hold exactly
// len(x) elements; DotRow panics with ErrShape if it does not, and with
// ErrUnsupported if t has no kernels (check Type.Supported when loading).
//
// Sums are accumulated in float32, so the result differs from dequantizing
// and summing in another order by float32 rounding only. For quantized
// types the block scales are applied to sums of quants (Σ d·sc·q·x =
// d·Σ sc·(Σ q·x)), as ggml does.
func DotRow(t Type, row []byte, x []float32) float32 {
	bs, bb := t.BlockSize(), t.BlockBytes()
	if !t.Supported() {
		panic(fmt.Errorf("dot row: %w %v", ErrUnsupported, t))
	}
	if len(row)%bb != 0 || len(row)/bb*bs != len(x) {
		panic(fmt.Errorf("dot row %v: %w: %d bytes with %d values", t, ErrShape, len(row), len(x)))
	}
	switch t {
	case F32:
		return dotF32(row, x)
	case F16:
		return dotF16(row, x)
	case BF16:
		return dotBF16(row, x)
	case Q4_0:
		return dotQ4_0(row, x)
	case Q8_0:
		return dotQ8_0(row, x)
	case Q4_K:
		return dotQ4K(row, x)
	case Q5_K:
		return dotQ5K(row, x)
	case Q6_K:
		return dotQ6K(row, x)
	}
	panic("unreachable")
}

func dotF32(row []byte, x []float32) float32 {
	if !littleEndian {
		var s float32
		for i := range x {
			s += math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:])) * x[i]
		}
		return s
	}
	// On a little-endian machine the stored row is a []float32 already.
	w := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(row))), len(x))
	if simdOn.Load() {
		return simdDotF32(w, x)
	}
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	n := len(x) &^ 7
	for i := 0; i < n; i += 8 {
		ws, xs := w[i:i+8:i+8], x[i:i+8:i+8]
		s0 += ws[0] * xs[0]
		s1 += ws[1] * xs[1]
		s2 += ws[2] * xs[2]
		s3 += ws[3] * xs[3]
		s4 += ws[4] * xs[4]
		s5 += ws[5] * xs[5]
		s6 += ws[6] * xs[6]
		s7 += ws[7] * xs[7]
	}
	for i := n; i < len(x); i++ {
		s0 += w[i] * x[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// littleEndian reports whether this machine stores numbers as GGUF and
// safetensors do, so stored F32 rows can be read in place.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func dotF16(row []byte, x []float32) float32 { return dotHalves(halves(row, len(x)), x) }

// dotHalves returns Σ h[i]·x[i] over len(x) half-precision values h, with
// the SIMD kernel when it is on.
func dotHalves(h []uint16, x []float32) float32 {
	h = h[:len(x)]
	if simdOn.Load() {
		return simdDotF16(h, x)
	}
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		hs, xs := h[i:i+4:i+4], x[i:i+4:i+4]
		s0 += f16Table[hs[0]] * xs[0]
		s1 += f16Table[hs[1]] * xs[1]
		s2 += f16Table[hs[2]] * xs[2]
		s3 += f16Table[hs[3]] * xs[3]
	}
	for i := n; i < len(x); i++ {
		s0 += f16Table[h[i]] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotBF16(row []byte, x []float32) float32 {
	h := halves(row, len(x))
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		hs, xs := h[i:i+4:i+4], x[i:i+4:i+4]
		s0 += math.Float32frombits(uint32(hs[0])<<16) * xs[0]
		s1 += math.Float32frombits(uint32(hs[1])<<16) * xs[1]
		s2 += math.Float32frombits(uint32(hs[2])<<16) * xs[2]
		s3 += math.Float32frombits(uint32(hs[3])<<16) * xs[3]
	}
	for i := n; i < len(x); i++ {
		s0 += math.Float32frombits(uint32(h[i])<<16) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// halves returns the n little-endian 16-bit values stored in row: the
// bytes themselves on a little-endian machine, a decoded copy otherwise.
func halves(row []byte, n int) []uint16 {
	if littleEndian {
		return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(row))), n)
	}
	h := make([]uint16, n)
	for i := range h {
		h[i] = binary.LittleEndian.Uint16(row[2*i:])
	}
	return h
}

// The quantized kernels below and their batched twins in batch.go perform
// the same float32 operations in the same order, so DotRow and DotRows
// agree bit for bit. Products are rounded explicitly (float32(a*b)) so that
// no compiler fuses them into FMA instructions in one place and not in the
// other.

func dotQ4_0(row []byte, x []float32) float32 {
	const bb = 2 + QK/2
	var sum float32
	for b := 0; b < len(row)/bb; b++ {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		xs := x[b*QK : b*QK+QK : b*QK+QK]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		qs := blk[2:bb]
		var s0, s1 float32
		for j := 0; j < QK/2; j++ {
			s0 += float32(float32(int8(qs[j]&0xf)-8) * xs[j])
			s1 += float32(float32(int8(qs[j]>>4)-8) * xs[j+QK/2])
		}
		sum += float32(d * (s0 + s1))
	}
	return sum
}

func dotQ8_0(row []byte, x []float32) float32 {
	const bb = 2 + QK
	var sum float32
	for b := 0; b < len(row)/bb; b++ {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		xs := x[b*QK : b*QK+QK : b*QK+QK]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		qs := blk[2:bb]
		var s0, s1, s2, s3 float32
		for j := 0; j < QK; j += 4 {
			s0 += float32(float32(int8(qs[j])) * xs[j])
			s1 += float32(float32(int8(qs[j+1])) * xs[j+1])
			s2 += float32(float32(int8(qs[j+2])) * xs[j+2])
			s3 += float32(float32(int8(qs[j+3])) * xs[j+3])
		}
		sum += float32(d * ((s0 + s1) + (s2 + s3)))
	}
	return sum
}

// dotQ4K uses d·Σ sc·(Σ q·x) − dmin·Σ m·(Σ x) over the 32-element
// sub-blocks, which is the dequantized dot product with the scales
// factored out.
func dotQ4K(row []byte, x []float32) float32 {
	const bb = 4 + 12 + QKK/2
	var sum float32
	for b := 0; b < len(row)/bb; b++ {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		xb := x[b*QKK : b*QKK+QKK : b*QKK+QKK]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		dmin := f16Table[binary.LittleEndian.Uint16(blk[2:])]
		scales := blk[4:16]
		qs := blk[16:bb]
		var sq, sm float32
		for j := 0; j < QKK/64; j++ {
			q := qs[32*j : 32*j+32 : 32*j+32]
			xl := xb[64*j : 64*j+32 : 64*j+32]
			xh := xb[64*j+32 : 64*j+64 : 64*j+64]
			var ql, qh, xsl, xsh float32
			for l := 0; l < 32; l++ {
				ql += float32(float32(q[l]&0xf) * xl[l])
				qh += float32(float32(q[l]>>4) * xh[l])
				xsl += xl[l]
				xsh += xh[l]
			}
			sc, m := scaleMinK4(2*j, scales)
			sq += float32(float32(sc) * ql)
			sm += float32(float32(m) * xsl)
			sc, m = scaleMinK4(2*j+1, scales)
			sq += float32(float32(sc) * qh)
			sm += float32(float32(m) * xsh)
		}
		sum += float32(d*sq) - float32(dmin*sm)
	}
	return sum
}

func dotQ5K(row []byte, x []float32) float32 {
	const bb = 4 + 12 + QKK/8 + QKK/2
	var sum float32
	for b := 0; b < len(row)/bb; b++ {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		xb := x[b*QKK : b*QKK+QKK : b*QKK+QKK]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		dmin := f16Table[binary.LittleEndian.Uint16(blk[2:])]
		scales := blk[4:16]
		qhs := blk[16 : 16+QKK/8 : 16+QKK/8]
		qs := blk[16+QKK/8 : bb]
		var sq, sm float32
		for j := 0; j < QKK/64; j++ {
			q := qs[32*j : 32*j+32 : 32*j+32]
			xl := xb[64*j : 64*j+32 : 64*j+32]
			xh := xb[64*j+32 : 64*j+64 : 64*j+64]
			shift := uint(2 * j)
			var ql, qh, xsl, xsh float32
			for l := 0; l < 32; l++ {
				h := qhs[l] >> shift
				ql += float32(float32(q[l]&0xf|(h&1)<<4) * xl[l])
				qh += float32(float32(q[l]>>4|(h&2)<<3) * xh[l])
				xsl += xl[l]
				xsh += xh[l]
			}
			sc, m := scaleMinK4(2*j, scales)
			sq += float32(float32(sc) * ql)
			sm += float32(float32(m) * xsl)
			sc, m = scaleMinK4(2*j+1, scales)
			sq += float32(float32(sc) * qh)
			sm += float32(float32(m) * xsh)
		}
		sum += float32(d*sq) - float32(dmin*sm)
	}
	return sum
}

func dotQ6K(row []byte, x []float32) float32 {
	const bb = QKK/2 + QKK/4 + QKK/16 + 2
	var sum float32
	for b := 0; b < len(row)/bb; b++ {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		xb := x[b*QKK : b*QKK+QKK : b*QKK+QKK]
		ql := blk[:QKK/2]
		qh := blk[QKK/2 : QKK/2+QKK/4]
		sc := blk[QKK/2+QKK/4 : QKK/2+QKK/4+QKK/16]
		d := f16Table[binary.LittleEndian.Uint16(blk[QKK/2+QKK/4+QKK/16:])]
		var s float32
		for n := 0; n < QKK/128; n++ {
			l64 := ql[64*n : 64*n+64 : 64*n+64]
			h32 := qh[32*n : 32*n+32 : 32*n+32]
			y := xb[128*n : 128*n+128 : 128*n+128]
			s8 := sc[8*n : 8*n+8 : 8*n+8]
			// Each 16-element sub-block has its own scale.
			for is := 0; is < 2; is++ {
				var a1, a2, a3, a4 float32
				for l := 16 * is; l < 16*is+16; l++ {
					a1 += float32(float32(int8(l64[l]&0xf|(h32[l]&3)<<4)-32) * y[l])
					a2 += float32(float32(int8(l64[l+32]&0xf|(h32[l]>>2&3)<<4)-32) * y[l+32])
					a3 += float32(float32(int8(l64[l]>>4|(h32[l]>>4&3)<<4)-32) * y[l+64])
					a4 += float32(float32(int8(l64[l+32]>>4|(h32[l]>>6&3)<<4)-32) * y[l+96])
				}
				s += float32(float32(int8(s8[is]))*a1) + float32(float32(int8(s8[is+2]))*a2) +
					float32(float32(int8(s8[is+4]))*a3) + float32(float32(int8(s8[is+6]))*a4)
			}
		}
		sum += float32(d * s)
	}
	return sum
}
