package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestExp checks Exp against math.Exp over its range: within 2 ulp
// (relative 2.4e-7), on both paths (ExpSum runs the SIMD kernel on
// whole groups of 8).
func TestExp(t *testing.T) {
	for _, simd := range []bool{false, true} {
		was := SetSIMD(simd)
		xs := make([]float32, 0, 4096)
		for x := float32(-87); x <= 88; x += 0.0437 {
			xs = append(xs, x)
		}
		xs = append(xs, 0, -0.5, 0.5, 1e-8, -1e-8, 88, -87)
		got := append([]float32(nil), xs...)
		ExpSum(got, 0)
		for i, x := range xs {
			want := math.Exp(float64(x))
			if rel := math.Abs(float64(got[i])-want) / want; rel > 2.4e-7 {
				t.Errorf("simd=%v: Exp(%g) = %g, want %g (relative error %.2g)", simd, x, got[i], want, rel)
			}
			if g := Exp(x); math.Abs(float64(g)-want)/want > 2.4e-7 {
				t.Errorf("Exp(%g) = %g, want %g", x, g, want)
			}
		}
		// Beyond the range: clamped, never Inf, NaN or negative.
		far := []float32{-1000, -88.5, -200, 89, 1000, float32(math.Inf(-1))}
		ExpSum(far, 0)
		for i, v := range far {
			if v < 0 || v > 1.7e38 || v != v {
				t.Errorf("simd=%v: Exp of out-of-range value %d = %g", simd, i, v)
			}
		}
		SetSIMD(was)
	}
}

// TestExpSum checks the softmax numerators and their sum against
// float64 arithmetic for lengths around the vector width.
func TestExpSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 100, 1000} {
		x := make([]float32, n)
		m := float32(math.Inf(-1))
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 5)
			m = max(m, x[i])
		}
		for _, simd := range []bool{true, false} {
			was := SetSIMD(simd)
			got := append([]float32(nil), x...)
			sum := ExpSum(got, m)
			SetSIMD(was)
			var want float64
			for i, v := range x {
				e := math.Exp(float64(v - m))
				want += e
				if math.Abs(float64(got[i])-e) > 3e-7*e {
					t.Errorf("n=%d simd=%v: x[%d] = %g, want %g", n, simd, i, got[i], e)
				}
			}
			if math.Abs(float64(sum)-want) > 1e-5*want { // float32 sums of up to 1000 terms
				t.Errorf("n=%d simd=%v: sum %g, want %g", n, simd, sum, want)
			}
		}
	}
}

// TestSiLUMul checks g/(1+e^-g)·u against float64 on both paths.
func TestSiLUMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 8, 13, 2048} {
		g, u := make([]float32, n), make([]float32, n)
		for i := range g {
			g[i], u[i] = float32(rng.NormFloat64()*4), float32(rng.NormFloat64())
		}
		g[0] = -100 // e^100 is clamped: the result must still be ~0
		for _, simd := range []bool{true, false} {
			was := SetSIMD(simd)
			got := append([]float32(nil), g...)
			SiLUMul(got, u)
			SetSIMD(was)
			for i := range g {
				x := float64(g[i])
				want := x / (1 + math.Exp(-x)) * float64(u[i])
				if math.Abs(float64(got[i])-want) > 1e-6*math.Abs(want)+1e-30 && math.Abs(float64(got[i])-want) > 1e-12 {
					t.Errorf("n=%d simd=%v: silu(%g)·%g = %g, want %g", n, simd, g[i], u[i], got[i], want)
				}
			}
		}
	}
}

// TestWeightedSum checks Σ p[k]·v[k] against float64 for widths that
// take every branch of the kernel (32-column groups, 8-column groups,
// the scalar tail) and odd and even row counts.
func TestWeightedSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cols := range []int{1, 8, 12, 32, 40, 64, 80, 128} {
		for _, k := range []int{0, 1, 2, 3, 10, 33} {
			stride := cols + 5
			p := make([]float32, k)
			v := make([]float32, max(0, (k-1)*stride+cols))
			for i := range p {
				p[i] = rng.Float32()
			}
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				out := make([]float32, cols)
				for i := range out {
					out[i] = 99 // overwritten, not added to
				}
				WeightedSum(out, p, v, stride)
				SetSIMD(was)
				for j := range out {
					var want, mag float64
					for i := range p {
						want += float64(p[i]) * float64(v[i*stride+j])
						mag += math.Abs(float64(p[i]) * float64(v[i*stride+j]))
					}
					if math.Abs(float64(out[j])-want) > 1e-6*mag+1e-30 {
						t.Errorf("cols=%d k=%d simd=%v: out[%d] = %g, want %g", cols, k, simd, j, out[j], want)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("WeightedSum with too short v did not panic")
		}
	}()
	WeightedSum(make([]float32, 8), make([]float32, 2), make([]float32, 10), 8)
}

// BenchmarkExpSum measures the softmax numerators of 1024 scores.
func BenchmarkExpSum(b *testing.B) {
	x := make([]float32, 1024)
	for _, simd := range []bool{true, false} {
		b.Run(fmt.Sprintf("simd=%v", simd), func(b *testing.B) {
			was := SetSIMD(simd)
			defer SetSIMD(was)
			for i := 0; i < b.N; i++ {
				for j := range x {
					x[j] = float32(-j) / 100
				}
				ExpSum(x, 0)
			}
		})
	}
}

// TestSum checks Sum of integers (exact in float32) for lengths around
// the kernel's 64-value step.
func TestSum(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 200, 4096} {
		x := make([]float32, n)
		var want float32
		for i := range x {
			x[i] = float32(i%7) - 3
			want += x[i]
		}
		for _, simd := range []bool{true, false} {
			was := SetSIMD(simd)
			if got := Sum(x); got != want {
				t.Errorf("n=%d simd=%v: Sum = %g, want %g", n, simd, got, want)
			}
			SetSIMD(was)
		}
	}
}

// TestDotF32Rows checks the blocked F32 product against float64 for
// row and vector counts that leave every kind of remainder around the
// 4×4 blocks, one to three vectors (the one-vector kernel), and widths
// with and without whole 16- and 64-column steps.
func TestDotF32Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{8, 16, 24, 80, 768} {
		for _, rows := range []int{1, 4, 6, 9} {
			for _, B := range []int{1, 2, 4, 7, 8} {
				w := make([]float32, rows*n)
				x := make([]float32, B*n)
				for i := range w {
					w[i] = float32(rng.NormFloat64())
				}
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				ld := rows + 2
				for _, simd := range []bool{true, false} {
					was := SetSIMD(simd)
					out := make([]float32, (B-1)*ld+rows)
					DotF32Rows(w, rows, x, out, ld)
					SetSIMD(was)
					for b := 0; b < B; b++ {
						for r := 0; r < rows; r++ {
							var want, mag float64
							for i := 0; i < n; i++ {
								p := float64(w[r*n+i]) * float64(x[b*n+i])
								want += p
								mag += math.Abs(p)
							}
							if got := out[b*ld+r]; math.Abs(float64(got)-want) > 1e-5*mag {
								t.Errorf("n=%d rows=%d B=%d simd=%v: out[%d][%d] = %g, want %g", n, rows, B, simd, b, r, got, want)
							}
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("DotF32Rows with too few outputs did not panic")
		}
	}()
	DotF32Rows(make([]float32, 32), 2, make([]float32, 32), make([]float32, 3), 2)
}

// BenchmarkDotF32Rows measures a prefill-sized F32 product: 768 rows of
// 768 against 32 vectors; GFLOP/s counts multiply-adds twice.
func BenchmarkDotF32Rows(b *testing.B) {
	const rows, n, B = 768, 768, 32
	w, x, out := make([]float32, rows*n), make([]float32, B*n), make([]float32, B*rows)
	for i := range w {
		w[i] = float32(i%13) - 6
	}
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for _, kernel := range []string{"rows", "batch"} {
		b.Run("kernel="+kernel, func(b *testing.B) {
			for b.Loop() {
				if kernel == "rows" {
					DotF32Rows(w, rows, x, out, rows)
					continue
				}
				for r := 0; r < rows; r++ {
					DotF32Batch(w[r*n:(r+1)*n], x, out[r:], rows)
				}
			}
			b.ReportMetric(2*rows*n*B*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestAttnScores checks one query against n positions' keys against
// float64, for counts around the four-position steps and widths with and
// without the AVX-512 kernel (multiples of 16), SIMD on and off.
func TestAttnScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{8, 16, 64, 80} {
		for _, n := range []int{0, 1, 3, 4, 5, 9, 100} {
			q := make([]float32, d)
			keys := make([]float32, n*d+d) // longer than needed
			values := make([]float32, n*d)
			for i := range q {
				q[i] = float32(rng.NormFloat64())
			}
			for i := range keys {
				keys[i] = float32(rng.NormFloat64())
			}
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				out := make([]float32, n)
				AttnScores(q, keys, values, out)
				SetSIMD(was)
				checkScores(t, fmt.Sprintf("d=%d n=%d simd=%v", d, n, simd), q, keys, out)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AttnScores with too few values did not panic")
		}
	}()
	AttnScores(make([]float32, 16), make([]float32, 32), make([]float32, 16), make([]float32, 2))
}

// checkScores checks out[i] = q·keys[i·d:(i+1)·d] (d = len(q)) against
// float64, to a relative 1e-5 of the products' magnitudes.
func checkScores(t *testing.T, label string, q, keys, out []float32) {
	t.Helper()
	d := len(q)
	for i := range out {
		var want, mag float64
		for j := 0; j < d; j++ {
			p := float64(q[j]) * float64(keys[i*d+j])
			want += p
			mag += math.Abs(p)
		}
		if math.Abs(float64(out[i])-want) > 1e-5*mag {
			t.Errorf("%s: out[%d] = %g, want %g", label, i, out[i], want)
		}
	}
}
