package tensor

import (
	"encoding/binary"
	"fmt"
)

// DotRows computes out[b] = DotRow(t, row, x[b*n:(b+1)*n]) for every b,
// where n = len(x)/len(out): one stored row against a batch of vectors, as
// in a prefill. Each block of row is decoded once for the whole batch, and
// the results are bit-identical to DotRow's. It panics like DotRow when the
// lengths do not fit.
func DotRows(t Type, row []byte, x, out []float32) {
	if len(out) == 0 {
		return
	}
	n := len(x) / len(out)
	if n*len(out) != len(x) {
		panic(fmt.Errorf("dot rows %v: %w: %d values for %d outputs", t, ErrShape, len(x), len(out)))
	}
	if len(out) == 1 {
		out[0] = DotRow(t, row, x)
		return
	}
	checkRow(t, row, n)
	switch t {
	case Q4_0:
		dotRowsQ4_0(row, x, out, n)
	case Q8_0:
		dotRowsQ8_0(row, x, out, n)
	case Q4_K, Q5_K:
		dotRowsK45(t, row, x, out, n)
	case Q6_K:
		dotRowsQ6K(row, x, out, n)
	default: // float types: nothing to decode
		for b := range out {
			out[b] = DotRow(t, row, x[b*n:(b+1)*n])
		}
	}
}

// checkRow panics unless t is supported and row holds n elements.
func checkRow(t Type, row []byte, n int) {
	if !t.Supported() {
		panic(fmt.Errorf("dot row: %w %v", ErrUnsupported, t))
	}
	bs, bb := t.BlockSize(), t.BlockBytes()
	if len(row)%bb != 0 || len(row)/bb*bs != n {
		panic(fmt.Errorf("dot row %v: %w: %d bytes with %d values", t, ErrShape, len(row), n))
	}
}

// The batched kernels decode a block's quants to float32 (exactly) once,
// then repeat dot.go's arithmetic, in its order, for each vector.

func dotRowsQ4_0(row []byte, x, out []float32, n int) {
	const bb = 2 + QK/2
	var q [QK]float32
	clear(out)
	for k := 0; k < len(row)/bb; k++ {
		blk := row[k*bb : (k+1)*bb]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		for j, v := range blk[2:bb] {
			q[j] = float32(int8(v&0xf) - 8)
			q[j+QK/2] = float32(int8(v>>4) - 8)
		}
		for b := range out {
			xs := x[b*n+k*QK : b*n+k*QK+QK : b*n+k*QK+QK]
			var s0, s1 float32
			for j := 0; j < QK/2; j++ {
				s0 += float32(q[j] * xs[j])
				s1 += float32(q[j+QK/2] * xs[j+QK/2])
			}
			out[b] += float32(d * (s0 + s1))
		}
	}
}

func dotRowsQ8_0(row []byte, x, out []float32, n int) {
	const bb = 2 + QK
	var q [QK]float32
	clear(out)
	for k := 0; k < len(row)/bb; k++ {
		blk := row[k*bb : (k+1)*bb]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		for j, v := range blk[2:bb] {
			q[j] = float32(int8(v))
		}
		for b := range out {
			xs := x[b*n+k*QK : b*n+k*QK+QK : b*n+k*QK+QK]
			var s0, s1, s2, s3 float32
			for j := 0; j < QK; j += 4 {
				s0 += float32(q[j] * xs[j])
				s1 += float32(q[j+1] * xs[j+1])
				s2 += float32(q[j+2] * xs[j+2])
				s3 += float32(q[j+3] * xs[j+3])
			}
			out[b] += float32(d * ((s0 + s1) + (s2 + s3)))
		}
	}
}

// dotRowsK45 serves Q4_K and Q5_K, which differ only in decoding.
func dotRowsK45(t Type, row []byte, x, out []float32, n int) {
	bb := t.BlockBytes()
	var q [QKK]float32
	var sc, m [8]float32
	clear(out)
	for k := 0; k < len(row)/bb; k++ {
		blk := row[k*bb : (k+1)*bb]
		d := f16Table[binary.LittleEndian.Uint16(blk)]
		dmin := f16Table[binary.LittleEndian.Uint16(blk[2:])]
		scales := blk[4:16]
		for j := 0; j < 8; j++ {
			s, mm := scaleMinK4(j, scales)
			sc[j], m[j] = float32(s), float32(mm)
		}
		if t == Q4_K {
			qs := blk[16 : 16+QKK/2]
			for j := 0; j < QKK/64; j++ {
				for l, v := range qs[32*j : 32*j+32] {
					q[64*j+l] = float32(v & 0xf)
					q[64*j+32+l] = float32(v >> 4)
				}
			}
		} else {
			qh := blk[16 : 16+QKK/8]
			qs := blk[16+QKK/8 : 16+QKK/8+QKK/2]
			for j := 0; j < QKK/64; j++ {
				shift := uint(2 * j)
				for l, v := range qs[32*j : 32*j+32] {
					h := qh[l] >> shift
					q[64*j+l] = float32(v&0xf | (h&1)<<4)
					q[64*j+32+l] = float32(v>>4 | (h&2)<<3)
				}
			}
		}
		for b := range out {
			xb := x[b*n+k*QKK : b*n+k*QKK+QKK : b*n+k*QKK+QKK]
			var sq, sm float32
			for j := 0; j < QKK/64; j++ {
				lo, hi := q[64*j:64*j+32:64*j+32], q[64*j+32:64*j+64:64*j+64]
				xl, xh := xb[64*j:64*j+32:64*j+32], xb[64*j+32:64*j+64:64*j+64]
				var ql, qh, xsl, xsh float32
				for l := 0; l < 32; l++ {
					ql += float32(lo[l] * xl[l])
					qh += float32(hi[l] * xh[l])
					xsl += xl[l]
					xsh += xh[l]
				}
				sq += float32(sc[2*j] * ql)
				sm += float32(m[2*j] * xsl)
				sq += float32(sc[2*j+1] * qh)
				sm += float32(m[2*j+1] * xsh)
			}
			out[b] += float32(d*sq) - float32(dmin*sm)
		}
	}
}

func dotRowsQ6K(row []byte, x, out []float32, n int) {
	const bb = QKK/2 + QKK/4 + QKK/16 + 2
	var q [QKK]float32
	var sc [QKK / 16]float32
	clear(out)
	for k := 0; k < len(row)/bb; k++ {
		blk := row[k*bb : (k+1)*bb]
		ql := blk[:QKK/2]
		qh := blk[QKK/2 : QKK/2+QKK/4]
		for i, s := range blk[QKK/2+QKK/4 : QKK/2+QKK/4+QKK/16] {
			sc[i] = float32(int8(s))
		}
		d := f16Table[binary.LittleEndian.Uint16(blk[QKK/2+QKK/4+QKK/16:])]
		for h := 0; h < QKK/128; h++ {
			l64, h32, y := ql[64*h:64*h+64:64*h+64], qh[32*h:32*h+32:32*h+32], q[128*h:128*h+128:128*h+128]
			for l := 0; l < 32; l++ {
				y[l] = float32(int8(l64[l]&0xf|(h32[l]&3)<<4) - 32)
				y[l+32] = float32(int8(l64[l+32]&0xf|(h32[l]>>2&3)<<4) - 32)
				y[l+64] = float32(int8(l64[l]>>4|(h32[l]>>4&3)<<4) - 32)
				y[l+96] = float32(int8(l64[l+32]>>4|(h32[l]>>6&3)<<4) - 32)
			}
		}
		for b := range out {
			xb := x[b*n+k*QKK : b*n+k*QKK+QKK : b*n+k*QKK+QKK]
			var s float32
			for h := 0; h < QKK/128; h++ {
				y, xs, s8 := q[128*h:128*h+128:128*h+128], xb[128*h:128*h+128:128*h+128], sc[8*h:8*h+8:8*h+8]
				for is := 0; is < 2; is++ {
					var a1, a2, a3, a4 float32
					for l := 16 * is; l < 16*is+16; l++ {
						a1 += float32(y[l] * xs[l])
						a2 += float32(y[l+32] * xs[l+32])
						a3 += float32(y[l+64] * xs[l+64])
						a4 += float32(y[l+96] * xs[l+96])
					}
					s += float32(s8[is]*a1) + float32(s8[is+2]*a2) + float32(s8[is+4]*a3) + float32(s8[is+6]*a4)
				}
			}
			out[b] += float32(d * s)
		}
	}
}
