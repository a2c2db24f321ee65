package tensor

import (
	"fmt"
	"math"
)

// Half-precision KV caches: attention keeps each position's keys and
// values as IEEE 754 half-precision bits (as llama.cpp does by default),
// half the memory of float32 and half the bytes a decode step streams
// through. The kernels below read them directly, converting on the fly
// (F16C's VCVTPH2PS with SIMD).

// ToFloat16 sets dst[i] to the half-precision bits nearest to src[i],
// ties to even, for i < len(src) (dst must be at least as long). The SIMD
// and portable paths give identical bits.
func ToFloat16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if simdOn.Load() {
		i = len(src) &^ 7
		if i > 0 {
			simdToFloat16(dst[:i], src[:i])
		}
	}
	for ; i < len(src); i++ {
		dst[i] = Float32ToFloat16(src[i])
	}
}

// FromFloat16 sets dst[i] to the value of the half-precision number
// src[i], for i < len(src) (dst must be at least as long). The conversion
// is exact.
func FromFloat16(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	i := 0
	if simdOn.Load() {
		i = len(src) &^ 7
		if i > 0 {
			simdFromFloat16(dst[:i], src[:i])
		}
	}
	for ; i < len(src); i++ {
		dst[i] = f16Table[src[i]]
	}
}

// AttnScoresF16 is AttnScores with half-precision keys and values: it
// sets out[i] = q·keys[i·d:(i+1)·d] for the len(out) positions of one
// attention head (d = len(q)), fetching the values towards the cache
// meanwhile with AVX-512, and returns the largest of them (−∞ for none),
// the maximum a softmax over them subtracts. It panics with ErrShape if
// keys or values are shorter than len(out)·d.
func AttnScoresF16(q []float32, keys, values []uint16, out []float32) (max float32) {
	d, n := len(q), len(out)
	if d == 0 || len(keys) < n*d || len(values) < n*d {
		panic(fmt.Errorf("attention scores: %w: %d positions of %d in %d keys, %d values", ErrShape, n, d, len(keys), len(values)))
	}
	if n == 0 {
		return float32(math.Inf(-1))
	}
	if simdOn.Load() && hasAVX512 && d%16 == 0 {
		return simdAttnScoresF16(q, keys, values, out)
	}
	max = float32(math.Inf(-1))
	for i := range out {
		out[i] = dotHalves(keys[i*d:(i+1)*d], q)
		if out[i] > max {
			max = out[i]
		}
	}
	return max
}

// WeightedSumF16 is WeightedSum with half-precision values: it sets
// out[j] = Σ_k p[k]·v[k·stride+j] for j < len(out). It panics with
// ErrShape if v is too short.
func WeightedSumF16(out, p []float32, v []uint16, stride int) {
	weightedSum(out, p, v, stride, simdWeightedSumF16, func(h uint16) float32 { return f16Table[h] })
}
