package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// randRow returns n random values quantized to a row of type t, and the
// row's dequantized values.
func randRow(t testing.TB, typ Type, n int, rng *rand.Rand) ([]byte, []float32) {
	t.Helper()
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	rb, err := typ.RowBytes(n)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, rb)
	if err := Quantize(typ, row, v); err != nil {
		t.Fatal(err)
	}
	if err := Dequantize(typ, v, row); err != nil {
		t.Fatal(err)
	}
	return row, v
}

// withSIMD runs f with the SIMD kernels on, then off, returning both
// results; where the CPU has no SIMD kernels both are the portable one.
func withSIMD(f func() float32) (simd, portable float32) {
	was := SetSIMD(true)
	defer SetSIMD(was)
	simd = f()
	SetSIMD(false)
	return simd, f()
}

// TestSIMDMatchesPortable runs the SIMD and portable dot products on the
// same data. Both sum the same products in a different order (and the
// SIMD ones fuse multiply-adds), so they agree to float32 rounding of the
// sum: within 1e-5 of Σ|w·x|.
func TestSIMDMatchesPortable(t *testing.T) {
	if !hasAVX2 {
		t.Log("no SIMD kernels on this CPU: comparing the portable path with itself")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range []Type{F32, F16} {
		for _, n := range []int{1, 7, 8, 31, 32, 33, 100, 768, 3072} {
			row, w := randRow(t, typ, n, rng)
			x := make([]float32, n)
			var mag float64
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				mag += math.Abs(float64(w[i] * x[i]))
			}
			got, want := withSIMD(func() float32 { return DotRow(typ, row, x) })
			if d := math.Abs(float64(got - want)); d > 1e-5*mag+1e-6 {
				t.Errorf("%v n=%d: simd %g, portable %g", typ, n, got, want)
			}
		}
	}
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		ns := []int{256, 768, 2048}
		if q8Block(typ) == QK {
			ns = append(ns, 32, 96, 160) // odd block counts
		}
		for _, n := range ns {
			row, w := randRow(t, typ, n, rng)
			x := make([]float32, 3*n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			var a Q8
			a.Quantize(typ, x, n)
			for b := 0; b < 3; b++ {
				xb := x[b*n : (b+1)*n]
				var mag float64
				for i := range xb {
					mag += math.Abs(float64(w[i] * xb[i]))
				}
				got, want := withSIMD(func() float32 { return DotQ8(typ, row, &a, b) })
				if d := math.Abs(float64(got - want)); d > 1e-5*mag+1e-6 {
					t.Errorf("%v n=%d vector %d: simd %g, portable %g", typ, n, b, got, want)
				}
				// Against the float dot product: each x moves by at most
				// half a quantization step, max|x_block|/254 (plus the
				// float16 rounding of a Q8_0 scale, 2⁻¹¹ relative).
				var bound float64
				bs := q8Block(typ)
				for k := 0; k < n; k += bs {
					var amax float64
					for _, v := range xb[k : k+bs] {
						amax = max(amax, math.Abs(float64(v)))
					}
					var wsum float64
					for _, v := range w[k : k+bs] {
						wsum += math.Abs(float64(v))
					}
					bound += wsum * amax * (1.0/254 + 1.0/2048)
				}
				if d := math.Abs(float64(got - DotRow(typ, row, xb))); d > bound+1e-4 {
					t.Errorf("%v n=%d vector %d: q8 %g, float %g: differ by %g > %g", typ, n, b, got, DotRow(typ, row, xb), d, bound)
				}
			}
		}
	}
}

// TestDotQ8Rows checks the matrix form against DotQ8 for every row and
// vector, SIMD on and off (with 4-vector passes and remainders).
func TestDotQ8Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		const n, nrows = 768, 3
		var rows []byte
		for range nrows {
			row, _ := randRow(t, typ, n, rng)
			rows = append(rows, row...)
		}
		for _, B := range []int{1, 4, 6, 9, 8, 13, 17} {
			x := make([]float32, B*n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			var a Q8
			a.Quantize(typ, x, n)
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				const ld = nrows + 2
				out := make([]float32, B*ld)
				DotQ8Rows(typ, rows, nrows, &a, out, ld)
				for b := 0; b < B; b++ {
					for r := 0; r < nrows; r++ {
						want := DotQ8(typ, rows[r*len(rows)/nrows:(r+1)*len(rows)/nrows], &a, b)
						// The K-quant 4-vector kernels repeat DotQ8's
						// arithmetic: bit-identical. Q8_0's sums in
						// another order.
						tol := 1e-4 * (1 + math.Abs(float64(want)))
						if typ == Q4_K || typ == Q6_K {
							tol = 0
						}
						if got := out[b*ld+r]; math.Abs(float64(got-want)) > tol {
							t.Errorf("%v B=%d simd=%v: out[%d,%d] = %g, want %g", typ, B, simd, b, r, got, want)
						}
					}
				}
				SetSIMD(was)
			}
		}
	}
}

func TestDotF32Batch(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{8, 12, 768} {
		for _, B := range []int{1, 4, 7, 8, 13, 17} {
			w := make([]float32, n)
			x := make([]float32, B*n)
			for i := range w {
				w[i] = float32(rng.NormFloat64())
			}
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for _, simd := range []bool{true, false} {
				was := SetSIMD(simd)
				out := make([]float32, 3*B)
				DotF32Batch(w, x, out, 3)
				SetSIMD(was)
				for b := 0; b < B; b++ {
					var want, mag float64
					for i := range w {
						want += float64(w[i]) * float64(x[b*n+i])
						mag += math.Abs(float64(w[i]) * float64(x[b*n+i]))
					}
					if got := out[3*b]; math.Abs(float64(got)-want) > 1e-5*mag {
						t.Errorf("n=%d B=%d simd=%v: out[%d] = %g, want %g", n, B, simd, b, got, want)
					}
				}
			}
		}
	}
}

func TestQ8Shapes(t *testing.T) {
	var a Q8
	for _, tt := range []struct{ x, n int }{{31, 31}, {64, 48}, {0, 0}, {96, 64}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Quantize(%d values, n=%d) did not panic", tt.x, tt.n)
				}
			}()
			a.Quantize(Q8_0, make([]float32, tt.x), tt.n)
		}()
	}
	a.Quantize(Q8_0, make([]float32, 64), 32)
	if got := a.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
	}
	// A zero vector quantizes to zero scales and dots to zero.
	row := make([]byte, 34)
	row[2] = 5
	if got := DotQ8(Q8_0, row, &a, 1); got != 0 {
		t.Errorf("DotQ8 of a zero vector = %g, want 0", got)
	}
}

// BenchmarkDot measures one 4096-element row product per op for each
// kernel; bytes/s is the weight-read rate.
func BenchmarkDot(b *testing.B) {
	const n = 4096
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	var a Q8
	for _, simd := range []bool{true, false} {
		if simd && !hasAVX2 {
			continue
		}
		path := map[bool]string{true: "simd", false: "portable"}[simd]
		for _, typ := range []Type{F32, F16, Q8_0, Q4_0, Q4_K, Q6_K} {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			rb, _ := typ.RowBytes(n)
			row := make([]byte, rb)
			if err := Quantize(typ, row, v); err != nil {
				b.Fatal(err)
			}
			if QuantizeQ8(typ) {
				a.Quantize(typ, x, n)
			}
			b.Run(fmt.Sprintf("type=%v/path=%s", typ, path), func(b *testing.B) {
				was := SetSIMD(simd)
				defer SetSIMD(was)
				b.SetBytes(int64(rb))
				var s float32
				for b.Loop() {
					if QuantizeQ8(typ) {
						s += DotQ8(typ, row, &a, 0)
					} else {
						s += DotRow(typ, row, x)
					}
				}
				sink = s
			})
		}
	}
}

var sink float32

// BenchmarkStreamRead reads a 1 GiB buffer end to end per op, summing its
// words, split across 1 and 2 goroutines: the machine's streaming-read
// bandwidth, which bounds decode speed (every weight is read once per
// token). Skipped in -short mode.
func BenchmarkStreamRead(b *testing.B) {
	if testing.Short() {
		b.Skip("allocates 1 GiB")
	}
	buf := make([]uint64, 1<<27)
	for i := range buf {
		buf[i] = uint64(i)
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			b.SetBytes(int64(len(buf) * 8))
			sums := make([]uint64, threads)
			for b.Loop() {
				var wg sync.WaitGroup
				for t := range threads {
					wg.Add(1)
					go func() {
						defer wg.Done()
						part := buf[t*len(buf)/threads : (t+1)*len(buf)/threads]
						var s0, s1, s2, s3 uint64
						for i := 0; i+4 <= len(part); i += 4 {
							s0 += part[i]
							s1 += part[i+1]
							s2 += part[i+2]
							s3 += part[i+3]
						}
						sums[t] = s0 + s1 + s2 + s3
					}()
				}
				wg.Wait()
			}
			sinkU = sums[0]
		})
	}
}

var sinkU uint64

// BenchmarkDotQ8Rows measures a prefill-sized product (768 rows of 768 or
// 2048 against 32 quantized vectors) and the products of a decode step
// (1 vector) and of a batched step of 8 sequences; the GMAC/s metric
// counts multiply-adds. Where the CPU has them, the AVX-512 K-quant
// kernels are measured beside the AVX2 ones (avx512=false).
func BenchmarkDotQ8Rows(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, typ := range []Type{Q8_0, Q4_K, Q6_K} {
		for _, n := range []int{768, 2048} {
			const nrows = 768
			var rows []byte
			row, _ := randRow(b, typ, n, rng)
			for range nrows {
				rows = append(rows, row...)
			}
			for _, B := range []int{1, 8, 32} {
				x := make([]float32, B*n)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				var a Q8
				a.Quantize(typ, x, n)
				out := make([]float32, B*nrows)
				for _, z := range []bool{true, false} {
					if !z && (typ == Q8_0 || !hasKZ) {
						continue
					}
					b.Run(fmt.Sprintf("%v/%dx%dx%d/avx512=%v", typ, nrows, n, B, z && hasKZ), func(b *testing.B) {
						vnniOn.Store(z)
						defer vnniOn.Store(true)
						b.ReportAllocs()
						for b.Loop() {
							DotQ8Rows(typ, rows, nrows, &a, out, nrows)
						}
						b.ReportMetric(float64(b.N)*nrows*float64(n)*float64(B)/b.Elapsed().Seconds()/1e9, "GMAC/s")
					})
				}
			}
		}
	}
}

// TestQuantizeSIMD checks that the SIMD quantizer gives the portable one's
// quants, scales and sums exactly, ties (x·id = k + ½, rounded away from
// zero) and all-zero blocks included.
func TestQuantizeSIMD(t *testing.T) {
	if !SetSIMD(true) {
		SetSIMD(false)
		t.Skip("no SIMD kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, typ := range []Type{Q8_0, Q4_K} {
		const n, B = 768, 3
		x := make([]float32, B*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		// Vector 1's first block: amax 127 makes id 1, so the values are
		// their own products, exact halves among them.
		ties := []float32{127, 63.5, -63.5, 0.5, -0.5, 2.5, -2.5, 1.4999999, -126.5, 0}
		copy(x[n:], ties)
		clear(x[2*n : 2*n+QKK]) // an all-zero block
		var simd, portable Q8
		simd.Quantize(typ, x, n)
		SetSIMD(false)
		portable.Quantize(typ, x, n)
		SetSIMD(true)
		for i := range portable.q {
			if simd.q[i] != portable.q[i] {
				t.Fatalf("%v: q[%d] = %d, want %d (x = %g)", typ, i, simd.q[i], portable.q[i], x[i])
			}
		}
		for i := range portable.d {
			if simd.d[i] != portable.d[i] {
				t.Errorf("%v: d[%d] = %g, want %g", typ, i, simd.d[i], portable.d[i])
			}
		}
		for i := range portable.bsum {
			if simd.bsum[i] != portable.bsum[i] {
				t.Errorf("%v: bsum[%d] = %d, want %d", typ, i, simd.bsum[i], portable.bsum[i])
			}
		}
		if got := simd.q[n+1 : n+3]; got[0] != 64 || got[1] != -64 {
			t.Errorf("%v: 63.5 and -63.5 quantized to %v, want [64 -64]", typ, got)
		}
	}
}

// TestAxpy checks the SIMD axpy against the portable one, exactly, on
// lengths with and without a tail.
func TestAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{0, 5, 8, 64, 67} {
		x, y := make([]float32, n), make([]float32, n+3)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), y...)
		for i, v := range x {
			want[i] += 0.37 * v
		}
		got := append([]float32(nil), y...)
		Axpy(got, 0.37, x)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("n=%d simd=%v: y[%d] = %g, want %g", n, SIMD(), i, got[i], want[i])
			}
		}
	}
}
