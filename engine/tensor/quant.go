package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize stores the values of src in dst as type t, the reverse of
// Dequantize. len(src) must be a multiple of t's block size and len(dst)
// the bytes those blocks take. Every supported type can be written: F32,
// F16 and BF16 round to nearest even; Q8_0, Q4_0, Q4_K, Q5_K and Q6_K
// follow ggml's reference quantizers and give the same bytes as
// llama-quantize without an importance matrix (and, for F16 and Q8_0, as
// convert_hf_to_gguf.py). Other types return an error
// wrapping ErrUnsupported.
func Quantize(t Type, dst []byte, src []float32) error {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K:
	default:
		return fmt.Errorf("quantize: %w %v", ErrUnsupported, t)
	}
	n, err := t.RowBytes(len(src))
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if n != len(dst) {
		return fmt.Errorf("quantize %v: %w: %d values into %d bytes, want %d", t, ErrShape, len(src), len(dst), n)
	}
	switch t {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToFloat16(v))
		}
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToBFloat16(v))
		}
	case Q8_0:
		for b := 0; b < len(src)/QK; b++ {
			quantQ8_0(dst[b*(2+QK):(b+1)*(2+QK)], src[b*QK:(b+1)*QK])
		}
	case Q4_0:
		for b := 0; b < len(src)/QK; b++ {
			quantQ4_0(dst[b*(2+QK/2):(b+1)*(2+QK/2)], src[b*QK:(b+1)*QK])
		}
	case Q4_K, Q5_K, Q6_K:
		bb := t.BlockBytes()
		for b := 0; b < len(src)/QKK; b++ {
			out, x := dst[b*bb:(b+1)*bb], src[b*QKK:(b+1)*QKK]
			switch t {
			case Q4_K:
				quantK45(out, x, 4)
			case Q5_K:
				quantK45(out, x, 5)
			default:
				quantQ6K(out, x)
			}
		}
	}
	return nil
}

// quantQ8_0 is ggml's quantize_row_q8_0_ref for one block:
// d = max|x|/127, q = round(x/d) (halves away from zero).
func quantQ8_0(dst []byte, x []float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, Float32ToFloat16(d))
	for j, v := range x {
		dst[2+j] = byte(int8(math.Round(float64(v * id))))
	}
}

// quantQ4_0 is ggml's quantize_row_q4_0_ref for one block: the value of
// largest magnitude maps to -8, d = max/-8, q = min(15, trunc(x/d + 8.5)).
func quantQ4_0(dst []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, Float32ToFloat16(d))
	for j := 0; j < QK/2; j++ {
		x0 := min(15, int8(float32(x[j]*id)+8.5))
		x1 := min(15, int8(float32(x[j+QK/2]*id)+8.5))
		dst[2+j] = byte(x0) | byte(x1)<<4
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
