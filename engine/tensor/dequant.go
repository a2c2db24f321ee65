package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Dequantize writes the float32 values of the elements stored in src, of
// type t, to dst. len(src) must be a whole number of blocks and len(dst) the
// number of elements they hold. The results equal llama.cpp's gguf-py
// dequantization bit for bit; F16 and BF16 conversions are exact.
func Dequantize(t Type, dst []float32, src []byte) error {
	if err := t.Check(); err != nil {
		return err
	}
	bs, bb := t.BlockSize(), t.BlockBytes()
	if len(src)%bb != 0 || len(src)/bb*bs != len(dst) {
		return fmt.Errorf("dequantize %v: %w: %d bytes into %d values", t, ErrShape, len(src), len(dst))
	}
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = f16Table[binary.LittleEndian.Uint16(src[2*i:])]
		}
	case BF16:
		for i := range dst {
			dst[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	default:
		f := dequantBlock[t]
		for b := 0; b < len(src)/bb; b++ {
			f(dst[b*bs:(b+1)*bs], src[b*bb:(b+1)*bb])
		}
	}
	return nil
}

// dequantBlock holds, per block type, a function that dequantizes one block
// src into dst (len(dst) is the block size).
var dequantBlock = map[Type]func(dst []float32, src []byte){
	Q4_0: dequantQ4_0,
	Q8_0: dequantQ8_0,
	Q4_K: dequantQ4K,
	Q5_K: dequantQ5K,
	Q6_K: dequantQ6K,
}

// Block layouts, as in ggml-common.h:
//
//	Q4_0 (18 bytes):  d f16 | qs[16]: element j is low nibble of qs[j], j+16 the high; x = d·(q-8)
//	Q8_0 (34 bytes):  d f16 | qs[32] int8; x = d·q
//	Q4_K (144 bytes): d f16 | dmin f16 | scales[12] (8 six-bit scale/min pairs) | qs[128]
//	Q5_K (176 bytes): d f16 | dmin f16 | scales[12] | qh[32] (fifth bits) | qs[128]
//	Q6_K (210 bytes): ql[128] | qh[64] | scales[16] int8 | d f16

func dequantQ4_0(dst []float32, b []byte) {
	d := f16Table[binary.LittleEndian.Uint16(b)]
	qs := b[2 : 2+QK/2]
	for j, q := range qs {
		dst[j] = d * float32(int8(q&0xf)-8)
		dst[j+QK/2] = d * float32(int8(q>>4)-8)
	}
}

func dequantQ8_0(dst []float32, b []byte) {
	d := f16Table[binary.LittleEndian.Uint16(b)]
	for j, q := range b[2 : 2+QK] {
		dst[j] = d * float32(int8(q))
	}
}

// scaleMinK4 returns the j-th six-bit scale and min of a Q4_K or Q5_K
// block's 12 packed scale bytes (ggml's get_scale_min_k4).
func scaleMinK4(j int, s []byte) (sc, m uint8) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&0xf | (s[j-4]>>6)<<4, s[j+4]>>4 | (s[j]>>6)<<4
}

func dequantQ4K(dst []float32, b []byte) {
	d := f16Table[binary.LittleEndian.Uint16(b)]
	dmin := f16Table[binary.LittleEndian.Uint16(b[2:])]
	scales := b[4:16]
	qs := b[16 : 16+QKK/2]
	for j := 0; j < QKK/64; j++ {
		sc, m := scaleMinK4(2*j, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*j+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		q := qs[32*j : 32*j+32]
		y := dst[64*j : 64*j+64]
		for l := 0; l < 32; l++ {
			// The float32 conversions round each product, as numpy
			// does, so the compiler cannot fuse it into the subtraction.
			y[l] = float32(d1*float32(q[l]&0xf)) - m1
			y[l+32] = float32(d2*float32(q[l]>>4)) - m2
		}
	}
}

func dequantQ5K(dst []float32, b []byte) {
	d := f16Table[binary.LittleEndian.Uint16(b)]
	dmin := f16Table[binary.LittleEndian.Uint16(b[2:])]
	scales := b[4:16]
	qh := b[16 : 16+QKK/8]
	qs := b[16+QKK/8 : 16+QKK/8+QKK/2]
	for j := 0; j < QKK/64; j++ {
		sc, m := scaleMinK4(2*j, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*j+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		q := qs[32*j : 32*j+32]
		y := dst[64*j : 64*j+64]
		for l := 0; l < 32; l++ {
			h := qh[l] >> (2 * j)
			y[l] = float32(d1*float32(q[l]&0xf|(h&1)<<4)) - m1
			y[l+32] = float32(d2*float32(q[l]>>4|(h&2)<<3)) - m2
		}
	}
}

func dequantQ6K(dst []float32, b []byte) {
	ql := b[:QKK/2]
	qh := b[QKK/2 : QKK/2+QKK/4]
	sc := b[QKK/2+QKK/4 : QKK/2+QKK/4+QKK/16]
	d := f16Table[binary.LittleEndian.Uint16(b[QKK/2+QKK/4+QKK/16:])]
	for n := 0; n < QKK/128; n++ {
		l64, h32, s8, y := ql[64*n:64*n+64], qh[32*n:32*n+32], sc[8*n:8*n+8], dst[128*n:128*n+128]
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int8(l64[l]&0xf|(h32[l]>>0&3)<<4) - 32
			q2 := int8(l64[l+32]&0xf|(h32[l]>>2&3)<<4) - 32
			q3 := int8(l64[l]>>4|(h32[l]>>4&3)<<4) - 32
			q4 := int8(l64[l+32]>>4|(h32[l]>>6&3)<<4) - 32
			y[l] = d * float32(int8(s8[is])) * float32(q1)
			y[l+32] = d * float32(int8(s8[is+2])) * float32(q2)
			y[l+64] = d * float32(int8(s8[is+4])) * float32(q3)
			y[l+96] = d * float32(int8(s8[is+6])) * float32(q4)
		}
	}
}
