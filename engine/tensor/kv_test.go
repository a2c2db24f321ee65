package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// halfValues returns n normal values rounded to half precision, and their
// bits.
func halfValues(rng *rand.Rand, n int) ([]float32, []uint16) {
	f, h := make([]float32, n), make([]uint16, n)
	for i := range f {
		h[i] = Float32ToFloat16(float32(rng.NormFloat64()))
		f[i] = Float16ToFloat32(h[i])
	}
	return f, h
}

// TestFloat16Slices checks ToFloat16 and FromFloat16 against the scalar
// conversions, SIMD on and off, for lengths around the 8-value steps and
// values that round, overflow, underflow to subnormals and are special.
func TestFloat16Slices(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	specials := []float32{0, float32(math.Copysign(0, -1)), 65504, 65520, -1e6, 6e-8, 3e-8, -1e-6, 1 + 1.0/2048, float32(math.Inf(1)), float32(math.NaN())}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 37} {
		src := make([]float32, n)
		for i := range src {
			if i < len(specials) && n > 8 {
				src[i] = specials[i]
				continue
			}
			src[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-5)))
		}
		for _, simd := range []bool{true, false} {
			was := SetSIMD(simd)
			h := make([]uint16, n+1) // longer than needed
			ToFloat16(h, src)
			back := make([]float32, n)
			FromFloat16(back, h[:n])
			SetSIMD(was)
			for i, v := range src {
				if want := Float32ToFloat16(v); h[i] != want {
					t.Errorf("n=%d simd=%v: ToFloat16(%g) = %#04x, want %#04x", n, simd, v, h[i], want)
				}
				got, want := back[i], Float16ToFloat32(h[i])
				if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
					t.Errorf("n=%d simd=%v: FromFloat16(%#04x) = %g, want %g", n, simd, h[i], got, want)
				}
			}
			if h[n] != 0 {
				t.Errorf("n=%d simd=%v: ToFloat16 wrote past len(src)", n, simd)
			}
		}
	}
}

// TestAttnScoresF16 checks one query against n positions' half-precision
// keys against float64 on the same values, for counts around the
// four-position steps and widths with and without the AVX-512 kernel,
// SIMD on and off.
func TestAttnScoresF16(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, d := range []int{8, 16, 64, 80} {
		for _, n := range []int{0, 1, 3, 4, 5, 9, 100} {
			q := make([]float32, d)
			for i := range q {
				q[i] = float32(rng.NormFloat64())
			}
			keys, kh := halfValues(rng, n*d+d) // longer than needed
			vh := make([]uint16, n*d)
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				out := make([]float32, n)
				max := AttnScoresF16(q, kh, vh, out)
				SetSIMD(was)
				if want := float32(math.Inf(-1)); n > 0 {
					want = slices.Max(out)
					if max != want {
						t.Errorf("d=%d n=%d simd=%v: max %g, want %g", d, n, simd, max, want)
					}
				} else if max != want {
					t.Errorf("d=%d n=0 simd=%v: max %g, want −∞", d, simd, max)
				}
				checkScores(t, fmt.Sprintf("d=%d n=%d simd=%v", d, n, simd), q, keys, out)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AttnScoresF16 with too few values did not panic")
		}
	}()
	AttnScoresF16(make([]float32, 16), make([]uint16, 32), make([]uint16, 16), make([]float32, 2))
}

// TestWeightedSumF16 checks the weighted sum of half-precision rows
// against float64 on the same values, for widths around the 8- and
// 32-column steps, odd and even row counts and a stride wider than the
// columns, SIMD on and off.
func TestWeightedSumF16(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, cols := range []int{1, 8, 12, 32, 40, 64, 80} {
		for _, k := range []int{0, 1, 2, 3, 10} {
			stride := cols + 8
			v, vh := halfValues(rng, max(0, (k-1)*stride+cols))
			p := make([]float32, k)
			for i := range p {
				p[i] = rng.Float32()
			}
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				out := make([]float32, cols)
				for i := range out {
					out[i] = 99 // overwritten, not added to
				}
				WeightedSumF16(out, p, vh, stride)
				SetSIMD(was)
				for j := range out {
					var want, mag float64
					for i := 0; i < k; i++ {
						x := float64(p[i]) * float64(v[i*stride+j])
						want += x
						mag += math.Abs(x)
					}
					if math.Abs(float64(out[j])-want) > 1e-5*mag {
						t.Errorf("cols=%d k=%d simd=%v: out[%d] = %g, want %g", cols, k, simd, j, out[j], want)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("WeightedSumF16 with too few values did not panic")
		}
	}()
	WeightedSumF16(make([]float32, 8), make([]float32, 2), make([]uint16, 15), 8)
}

// BenchmarkAttention is one decode step's attention for one head of 64
// at a depth of 512: the scores, then the weighted sum of the values,
// with a float32 and a half-precision cache.
func BenchmarkAttention(b *testing.B) {
	const d, n = 64, 512
	rng := rand.New(rand.NewPCG(27, 28))
	q := make([]float32, d)
	k, kh := halfValues(rng, n*d)
	v, vh := halfValues(rng, n*d)
	p, out := make([]float32, n), make([]float32, d)
	b.Run("f32", func(b *testing.B) {
		for b.Loop() {
			AttnScores(q, k, v, p)
			WeightedSum(out, p, v, d)
		}
	})
	b.Run("f16", func(b *testing.B) {
		for b.Loop() {
			AttnScoresF16(q, kh, vh, p)
			WeightedSumF16(out, p, vh, d)
		}
	})
}
