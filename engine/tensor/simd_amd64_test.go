package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestDotQ8x4VNNI checks the AVX512-VNNI Q8_0 kernel against the AVX2 one
// on the same data: the same integer sums, so bit-identical results.
func TestDotQ8x4VNNI(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX512-VNNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 768
	row, _ := randRow(t, Q8_0, n, rng)
	x := make([]float32, 4*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	x[5] = 1000 // a saturated quant: ±127 against every weight
	var a Q8
	a.Quantize(Q8_0, x, n)
	var got, want [4]float32
	simdDotQ8x4(row, &a, 0, &got)
	vnniOn.Store(false)
	simdDotQ8x4(row, &a, 0, &want)
	vnniOn.Store(true)
	if got != want {
		t.Errorf("VNNI kernel = %v, AVX2 kernel = %v", got, want)
	}
}

// TestDotKx4VNNI checks the AVX512-VNNI K-quant kernels against the AVX2
// ones on the same data, bit for bit.
func TestDotKx4VNNI(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX512-VNNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	const n = 768
	for _, typ := range []Type{Q4_K, Q6_K} {
		row, _ := randRow(t, typ, n, rng)
		x := make([]float32, 4*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		var a Q8
		a.Quantize(typ, x, n)
		var got, want [4]float32
		simdDotKx4(typ, row, &a, 0, &got)
		vnniOn.Store(false)
		simdDotKx4(typ, row, &a, 0, &want)
		vnniOn.Store(true)
		if got != want {
			t.Errorf("%v: VNNI kernel = %v, AVX2 kernel = %v", typ, got, want)
		}
	}
}

// TestDotKx8VNNI checks the eight-vector VNNI K-quant kernels against the
// four-vector ones, bit for bit.
func TestDotKx8VNNI(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX512-VNNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	const n = 1024
	for _, typ := range []Type{Q4_K, Q6_K} {
		row, _ := randRow(t, typ, n, rng)
		x := make([]float32, 9*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		x[n+3] = 500 // a saturated quant
		var a Q8
		a.Quantize(typ, x, n)
		for _, b0 := range []int{0, 1} {
			var got [8]float32
			simdDotKx8(typ, row, &a, b0, &got)
			var want [8]float32
			for h := 0; h < 2; h++ {
				var o [4]float32
				simdDotKx4(typ, row, &a, b0+4*h, &o)
				copy(want[4*h:], o[:])
			}
			if got != want {
				t.Errorf("%v from vector %d: eight-vector kernel = %v, four-vector = %v", typ, b0, got, want)
			}
		}
	}
}
