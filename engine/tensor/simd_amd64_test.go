package tensor

import (
	"math"
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

// TestDotKZ checks the AVX-512 K-quant kernels: the one-, four- and
// eight-vector forms bit for bit against each other (the same arithmetic
// per vector), and against the AVX2 kernels to float32 rounding (the same
// exact integer sums, added up in another order), on rows with saturated
// quants and blocks of zeros.
func TestDotKZ(t *testing.T) {
	if !hasKZ {
		t.Skip("no AVX-512 K-quant kernels on this CPU")
	}
	defer SetSIMD(SetSIMD(true))
	rng := rand.New(rand.NewPCG(19, 20))
	for _, typ := range []Type{Q4_K, Q6_K} {
		for _, n := range []int{256, 768, 2048} {
			row, w := randRow(t, typ, n, rng)
			x := make([]float32, 9*n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			x[n+3] = 500 // a saturated quant
			clear(x[2*n : 2*n+QKK])
			var a Q8
			a.Quantize(typ, x, n)
			one := make([]float32, 9)
			for b := range one {
				one[b] = DotQ8(typ, row, &a, b)
				vnniOn.Store(false)
				avx2 := DotQ8(typ, row, &a, b)
				vnniOn.Store(true)
				var mag float64
				for i, v := range x[b*n : (b+1)*n] {
					mag += math.Abs(float64(w[i] * v))
				}
				if diff := math.Abs(float64(one[b] - avx2)); diff > 1e-5*mag+1e-6 {
					t.Errorf("%v n=%d vector %d: AVX-512 kernel %g, AVX2 kernel %g", typ, n, b, one[b], avx2)
				}
			}
			for _, b0 := range []int{0, 1} {
				for h := 0; h < 2; h++ {
					var got4 [4]float32
					simdDotKx4(typ, row, &a, b0+4*h, &got4)
					for v, got := range got4 {
						if want := one[b0+4*h+v]; math.Float32bits(got) != math.Float32bits(want) {
							t.Errorf("%v n=%d: four-vector kernel from %d: vector %d = %g, one-vector %g", typ, n, b0+4*h, v, got, want)
						}
					}
				}
				// Three copies of the row, eight vectors each, outputs
				// with a stride wider than the rows.
				rows3 := append(append(append([]byte(nil), row...), row...), row...)
				const ld = 5
				outs := make([]float32, 7*ld+3)
				simdDotKx8Rows(typ, rows3, 3, &a, b0, outs, ld)
				for v := 0; v < 8; v++ {
					for r := 0; r < 3; r++ {
						if got, want := outs[v*ld+r], one[b0+v]; math.Float32bits(got) != math.Float32bits(want) {
							t.Errorf("%v n=%d: eight-vector rows kernel from %d: row %d vector %d = %g, one-vector %g", typ, n, b0, r, v, got, want)
						}
					}
					for r := 3; r < ld && v < 7; r++ {
						if outs[v*ld+r] != 0 {
							t.Errorf("%v n=%d: eight-vector rows kernel wrote out[%d], past its rows", typ, n, v*ld+r)
						}
					}
				}
			}
		}
	}
}
