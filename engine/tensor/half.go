package tensor

import "math"

// f16Table maps every IEEE 754 half-precision bit pattern to its float32
// value; DotRow and Dequantize read it instead of converting bit by bit.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16ToFloat32(uint16(i))
	}
	return &t
}()

// Float16ToFloat32 returns the value of the IEEE 754 half-precision number
// with bits h. The conversion is exact.
func Float16ToFloat32(h uint16) float32 { return f16Table[h] }

func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0: // zero or subnormal: mant × 2⁻²⁴, exact in float32
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToFloat16 returns the bits of the half-precision number nearest to
// f, ties to even (as a hardware conversion does). Values too large become
// infinity; NaN stays NaN.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal result: the half value is M × 2⁻²⁴ with M the full
		// 24-bit significand shifted right by 14-e.
		if exp == 0 {
			return sign // float32 subnormals are far below half's range
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		if shift > 24 {
			return sign
		}
		q := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || rem == half && q&1 == 1 {
			q++
		}
		return sign | uint16(q)
	}
	q := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && q&1 == 1 {
		q++ // may carry into the exponent, up to infinity: still correct
	}
	return sign | uint16(q)
}

// BFloat16ToFloat32 returns the value of the bfloat16 number with bits b.
// The conversion is exact.
func BFloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// Float32ToBFloat16 returns the bits of the bfloat16 number nearest to f,
// ties to even (as PyTorch rounds). NaN stays NaN.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // quiet NaN, keeping the sign
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
