package tensor

import (
	"fmt"
	"math"
)

// Vector math for the parts of a forward pass that are not products:
// the softmax of attention and the SiLU of the feed-forward. Exp uses
// Cephes' single-precision method (a degree-6 polynomial after reducing
// the argument by multiples of ln 2), within 2 ulp of the exact value, on
// both paths; the SIMD kernels differ from the portable loops only in
// float32 rounding (fused multiply-adds, the order of the sums).

const (
	expHi    = 88.0 // exp(88) < MaxFloat32
	expLo    = -87.0
	log2e    = 1.44269504088896341
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
	expShift = 23 // the exponent field of a float32
)

// Exp returns e^x for x in [-87, 88] (x is clamped to that range, so
// e^x for smaller x is about 1e-38 rather than 0, and for larger x about
// 1.65e38), with Cephes' float32 method.
func Exp(x float32) float32 {
	x = min(max(x, expLo), expHi)
	n := float32(math.RoundToEven(float64(x * log2e)))
	r := x - n*expC1
	r -= n * expC2
	p := float32(expP0)
	p = p*r + expP1
	p = p*r + expP2
	p = p*r + expP3
	p = p*r + expP4
	p = p*r + expP5
	y := p*(r*r) + r + 1
	return math.Float32frombits(math.Float32bits(y) + uint32(int32(n))<<expShift)
}

// ExpSum sets x[i] = Exp(x[i] − m) for every i and returns the sum of the
// results: the numerators and denominator of a softmax with maximum m.
func ExpSum(x []float32, m float32) float32 {
	var s float32
	i := 0
	if simdOn.Load() {
		i = len(x) &^ 7
		if i > 0 {
			s = simdExpSum(x[:i], m)
		}
	}
	for ; i < len(x); i++ {
		x[i] = Exp(x[i] - m)
		s += x[i]
	}
	return s
}

// SiLUMul sets g[i] = SiLU(g[i])·u[i] = g[i]/(1+e^(−g[i]))·u[i], the
// gated activation of a SwiGLU feed-forward (u must be at least as long
// as g).
func SiLUMul(g, u []float32) {
	u = u[:len(g)]
	i := 0
	if simdOn.Load() {
		i = len(g) &^ 7
		if i > 0 {
			simdSiLUMul(g[:i], u[:i])
		}
	}
	for ; i < len(g); i++ {
		g[i] = g[i] / (1 + Exp(-g[i])) * u[i]
	}
}

// WeightedSum sets out[j] = Σ_k p[k]·v[k·stride+j] for j < len(out): the
// rows of v (one every stride values, len(out) used of each) weighted by
// p, as attention sums the values by their probabilities. It panics with
// ErrShape if v is too short.
func WeightedSum(out, p, v []float32, stride int) {
	weightedSum(out, p, v, stride, simdWeightedSum, func(x float32) float32 { return x })
}

// weightedSum is WeightedSum over values of type T, read by value: the
// SIMD kernel simd takes the columns in multiples of 8, a plain loop the
// rest.
func weightedSum[T float32 | uint16](out, p []float32, v []T, stride int, simd func(out, p []float32, v []T, stride int), value func(T) float32) {
	cols := len(out)
	if len(p) == 0 {
		clear(out)
		return
	}
	if stride < cols || len(v) < (len(p)-1)*stride+cols {
		panic(fmt.Errorf("weighted sum: %w: %d rows of %d values (stride %d) in %d", ErrShape, len(p), cols, stride, len(v)))
	}
	j := 0
	if simdOn.Load() {
		j = cols &^ 7
		if j > 0 {
			simd(out[:j], p, v, stride)
		}
	}
	if j == cols {
		return
	}
	rest := out[j:]
	clear(rest)
	for k, w := range p {
		for i, x := range v[k*stride+j : k*stride+cols] {
			rest[i] += w * value(x)
		}
	}
}

// Sum returns Σ x[i], reading x front to back at the speed of memory
// with SIMD: the measure of streaming-read bandwidth `switchboard bench`
// compares decoding with.
func Sum(x []float32) float32 {
	var s float32
	i := 0
	if simdOn.Load() {
		i = len(x) &^ 63
		if i > 0 {
			s = simdSum(x[:i])
		}
	}
	var s0, s1, s2, s3 float32
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return s + (s0 + s1) + (s2 + s3)
}

// AttnScores sets out[i] = q·keys[i·d:(i+1)·d] for the len(out) positions
// of one attention head (d = len(q)), whose values (as many, laid out
// alike) are read next: with AVX-512 and d a multiple of 16 they are
// fetched towards the cache meanwhile, as are the keys ahead. It panics
// with ErrShape if keys or values are shorter than len(out)·d.
func AttnScores(q, keys, values, out []float32) {
	d, n := len(q), len(out)
	if d == 0 || len(keys) < n*d || len(values) < n*d {
		panic(fmt.Errorf("attention scores: %w: %d positions of %d in %d keys, %d values", ErrShape, n, d, len(keys), len(values)))
	}
	if n == 0 {
		return
	}
	if simdOn.Load() && hasAVX512 && d%16 == 0 {
		simdAttnScores(q, keys, values, out)
		return
	}
	DotF32Batch(q, keys[:n*d], out, 1)
}
