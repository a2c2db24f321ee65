package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatmulAgainstReference checks the tiled product (with the AVX2
// kernels where the CPU has them) against a float64 product, at shapes
// that leave partial tiles, blocks and vectors everywhere.
func TestMatmulAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := newPool(3)
	defer p.close()
	var j matmulJob
	for _, sh := range [][3]int{{1, 1, 1}, {5, 3, 7}, {67, 65, 300}, {4, 2, 8}, {130, 9, 513}, {3, 70, 17}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		for _, layout := range []int{bNK, bKN, aKM, aKM | bKN} {
			// Store the operands as the layout says.
			sa, sb := a, b
			if layout&aKM != 0 {
				sa = transposed(a, m, k)
			}
			if layout&bKN != 0 {
				sb = transposed(b, n, k)
			}
			for i := range c {
				c[i] = 1
			}
			p.matmul(&j, c, sa, sb, m, n, k, layout, true)
			checkProduct(t, c, a, b, m, n, k, layout)
		}
	}
}

// transposed returns x (rows×cols) transposed.
func transposed(x []float32, rows, cols int) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			y[c*rows+r] = x[r*cols+c]
		}
	}
	return y
}

// checkProduct checks c = 1 + a·bᵀ, a (m×k), b (n×k), in float64.
func checkProduct(t *testing.T, c, a, b []float32, m, n, k, layout int) {
	t.Helper()
	{
		for i := 0; i < m; i++ {
			for jj := 0; jj < n; jj++ {
				want := 1.0
				for q := 0; q < k; q++ {
					want += float64(a[i*k+q]) * float64(b[jj*k+q])
				}
				if got := float64(c[i*n+jj]); math.Abs(got-want) > 1e-4*math.Sqrt(float64(k))+1e-5 {
					t.Fatalf("%dx%dx%d layout %d: C[%d,%d] = %v, want %v", m, n, k, layout, i, jj, got, want)
				}
			}
		}
	}
}

func TestVectorKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for n := 0; n < 70; n++ {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
		}
		if got := dotSeq(a, b); math.Abs(float64(got)-want) > 1e-5*float64(n+1) {
			t.Errorf("dot of %d: %v, want %v", n, got, want)
		}
		y := append([]float32(nil), b...)
		axpy(y, 0.5, a)
		for i := range y {
			if w := b[i] + 0.5*a[i]; math.Abs(float64(y[i]-w)) > 1e-6 {
				t.Fatalf("axpy of %d: y[%d] = %v, want %v", n, i, y[i], w)
			}
		}
	}
}

// varied is a dataset of examples of different lengths, some too long.
type varied struct{ seq int }

func (v varied) Example(i int64) (Example, error) {
	n := 3 + int(i*7%int64(v.seq+4))
	ex := Example{Tokens: make([]int, n), Loss: make([]bool, n)}
	for j := range ex.Tokens {
		ex.Tokens[j] = int(i+int64(j)) % 20
		ex.Loss[j] = j > n/2
	}
	return ex, nil
}

// TestVariedLengths checks that batches of examples of different lengths
// (each batch as long as its longest example) train deterministically and
// skip examples longer than the sequence.
func TestVariedLengths(t *testing.T) {
	c := Config{Dim: 16, Layers: 1, Heads: 2, FF: 32, Vocab: 20, Context: 12}
	run := func(threads int) ([]float32, int64) {
		m, _ := NewModel(c, 5)
		tr, err := New(m, Options{Steps: 6, Batch: 3, Seq: 12, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		return runLosses(t, tr, varied{seq: 12}, 6), tr.Cursor
	}
	a, ca := run(1)
	b, cb := run(2)
	for i := range a {
		if a[i] != b[i] || math.IsNaN(float64(a[i])) {
			t.Fatalf("losses %v and %v", a, b)
		}
	}
	if ca != cb || ca <= 18 {
		t.Errorf("cursor %d and %d after 18 rows; want equal and past skipped examples", ca, cb)
	}
}
