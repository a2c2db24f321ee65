package knowledge

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// DenseOptions configure the dense vectors: latent semantic analysis
// (LSA), a truncated SVD of the chunks' TF-IDF matrix, which places chunks
// that use related words near each other even when they share none with
// the query.
type DenseOptions struct {
	// Off disables dense vectors: search is BM25 only.
	Off bool
	// Rank is the number of latent dimensions. Zero means DefaultRank,
	// capped at a quarter of the number of chunks (a space as large as the
	// corpus only memorises it). An index of fewer than 32 chunks has no
	// dense vectors.
	Rank int
	// Weight scales the dense ranking against BM25 in rank fusion. Zero
	// means DefaultDenseWeight.
	Weight float64
	// PowerIterations sharpen the randomized SVD. Zero means 2.
	PowerIterations int
}

// Defaults of DenseOptions.
const (
	DefaultRank        = 96
	DefaultDenseWeight = 1.0
	oversample         = 10
	minRank            = 8 // fewer dimensions (fewer than 32 chunks) are noise
)

// denseModel holds the LSA projection and chunk vectors. Immutable once
// made (newDenseModel).
type denseModel struct {
	rank   int
	terms  []float32 // term vectors, row-major (terms × rank): the rows of U_r
	weight float64
	vectors
}

// csc is a sparse terms × chunks matrix by columns.
type csc struct {
	rows, cols int
	start      []int32 // column j is [start[j], start[j+1])
	row        []int32
	val        []float64
}

// tfidfMatrix builds the column-normalised TF-IDF matrix of the chunks:
// (1 + ln tf) · idf, with field weights applied to tf.
func tfidfMatrix(ix *Index, analysed []chunkTerms) *csc {
	m := &csc{rows: len(ix.terms), cols: len(analysed), start: make([]int32, 1, len(analysed)+1)}
	tf := make([]float64, len(ix.terms)) // scratch, zero between chunks
	var ids []int32
	for _, at := range analysed {
		ids = ids[:0]
		for f, fids := range at.ids {
			for _, id := range fids {
				if tf[id] == 0 {
					ids = append(ids, id)
				}
				tf[id] += ix.weight[f]
			}
		}
		slices.Sort(ids)
		first := len(m.val)
		var norm float64
		for _, id := range ids {
			v := (1 + math.Log(tf[id])) * ix.idf[id]
			tf[id] = 0
			m.row = append(m.row, id)
			m.val = append(m.val, v)
			norm += v * v
		}
		if norm > 0 {
			norm = 1 / math.Sqrt(norm)
			for i := first; i < len(m.val); i++ {
				m.val[i] *= norm
			}
		}
		m.start = append(m.start, int32(len(m.val)))
	}
	return m
}

// colDot sets z = A[:,j]ᵀ Q for Q row-major (rows × l).
func (m *csc) colDot(j int, q []float64, l int, z []float64) {
	clear(z)
	for p := m.start[j]; p < m.start[j+1]; p++ {
		a, row := m.val[p], q[int(m.row[p])*l:int(m.row[p]+1)*l]
		for i := range z {
			z[i] += a * row[i]
		}
	}
}

// colAdd does Y[rows of column j] += A[:,j] zᵀ for Y row-major (rows × l).
func (m *csc) colAdd(j int, z []float64, l int, y []float64) {
	for p := m.start[j]; p < m.start[j+1]; p++ {
		a, row := m.val[p], y[int(m.row[p])*l:int(m.row[p]+1)*l]
		for i := range z {
			row[i] += a * z[i]
		}
	}
}

// buildDense computes a rank-r LSA model with a randomized SVD (Halko,
// Martinsson and Tropp 2011), streaming over the sparse matrix so memory
// stays O((terms + chunks) · r).
func buildDense(ctx context.Context, ix *Index, analysed []chunkTerms, o DenseOptions) (*denseModel, error) {
	a := tfidfMatrix(ix, analysed)
	r := o.Rank
	if r <= 0 {
		r = DefaultRank
	}
	r = min(r, a.cols/4, a.rows/2)
	if r < minRank {
		return nil, nil // too little text for a latent space: BM25 alone
	}
	l := min(r+oversample, a.rows, a.cols)
	iters := o.PowerIterations
	if iters <= 0 {
		iters = 2
	}

	// Y = A Ω with Ω a Gaussian (chunks × l), generated row by row.
	y := a.mulAdd(l, func(j int, omega []float64) {
		rng := rand.New(rand.NewPCG(0x5eed, uint64(j)))
		for i := range omega {
			omega[i] = rng.NormFloat64()
		}
	})
	q, l := orthonormalise(y, a.rows, l)
	for range iters {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("build dense vectors: %w", err)
		}
		z := a.tMul(q, l)
		y = a.mulAdd(l, func(j int, zj []float64) { copy(zj, z[j*l:(j+1)*l]) })
		q, l = orthonormalise(y, a.rows, l)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("build dense vectors: %w", err)
	}

	// S = Qᵀ A Aᵀ Q = Zᵀ Z with Z = Aᵀ Q; its eigenvectors W rotate Q
	// onto the left singular vectors, U = Q W, with σ² the eigenvalues.
	z := a.tMul(q, l)
	zm := mat.NewDense(a.cols, l, z)
	var s mat.SymDense
	s.SymOuterK(1, zm.T())
	var eig mat.EigenSym
	if !eig.Factorize(&s, true) {
		return nil, fmt.Errorf("build dense vectors: eigen decomposition failed")
	}
	var w mat.Dense
	eig.VectorsTo(&w)
	vals := eig.Values(nil) // ascending
	r = min(r, l)
	for r > 0 && vals[l-r] <= 1e-12 {
		r--
	}
	if r < minRank {
		return nil, nil
	}
	// W_r: the eigenvectors of the r largest eigenvalues, largest first.
	wr := mat.NewDense(l, r, nil)
	for d := range r {
		for i := range l {
			wr.Set(i, d, w.At(i, l-1-d))
		}
	}
	weight := o.Weight
	if weight <= 0 {
		weight = DefaultDenseWeight
	}
	var u, c mat.Dense
	u.Mul(mat.NewDense(a.rows, l, q), wr) // terms × r
	c.Mul(zm, wr)                         // chunks × r: U_rᵀ a_j
	return newDenseModel(r, toFloat32(&u), quantizeChunks(&c), weight)
}

// toFloat32 copies m, row by row, into float32.
func toFloat32(m *mat.Dense) []float32 {
	rows, cols := m.Dims()
	out := make([]float32, rows*cols)
	for i := range rows {
		for j, v := range m.RawRowView(i) {
			out[i*cols+j] = float32(v)
		}
	}
	return out
}

// parallel runs fn over [0, n) split into one contiguous range per CPU.
func parallel(n int, fn func(worker, lo, hi int)) int {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/256))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
	return workers
}

// tMul returns Z = Aᵀ Q (cols × l, row-major) for Q row-major (rows × l).
func (m *csc) tMul(q []float64, l int) []float64 {
	z := make([]float64, m.cols*l)
	parallel(m.cols, func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			m.colDot(j, q, l, z[j*l:(j+1)*l])
		}
	})
	return z
}

// mulAdd returns Y = A X (rows × l, row-major) where row j of X (chunks ×
// l) is written by fill. Each worker sums into its own Y, then they add up.
func (m *csc) mulAdd(l int, fill func(j int, xj []float64)) []float64 {
	parts := make([][]float64, runtime.GOMAXPROCS(0))
	used := parallel(m.cols, func(w, lo, hi int) {
		y := make([]float64, m.rows*l)
		x := make([]float64, l)
		for j := lo; j < hi; j++ {
			fill(j, x)
			m.colAdd(j, x, l, y)
		}
		parts[w] = y
	})
	y := parts[0]
	for _, p := range parts[1:used] {
		for i, v := range p {
			y[i] += v
		}
	}
	return y
}

// orthonormalise returns an orthonormal basis of the columns of y (rows ×
// l, row-major) and its size, dropping directions y does not span: with
// YᵀY = V Λ Vᵀ, the basis is Y V Λ^(-1/2). It runs twice, which makes the
// basis orthonormal to working precision.
func orthonormalise(y []float64, rows, l int) ([]float64, int) {
	for range 2 {
		ym := mat.NewDense(rows, l, y)
		var g mat.SymDense
		g.SymOuterK(1, ym.T())
		var eig mat.EigenSym
		if !eig.Factorize(&g, true) {
			return y, l
		}
		var v mat.Dense
		eig.VectorsTo(&v)
		vals := eig.Values(nil)
		maxv := vals[len(vals)-1]
		var keep []int
		for i := len(vals) - 1; i >= 0; i-- {
			if vals[i] > maxv*1e-10 && vals[i] > 0 {
				keep = append(keep, i)
			}
		}
		if len(keep) == 0 {
			return y, l
		}
		m := mat.NewDense(l, len(keep), nil)
		for c, i := range keep {
			s := 1 / math.Sqrt(vals[i])
			for rr := range l {
				m.Set(rr, c, v.At(rr, i)*s)
			}
		}
		var out mat.Dense
		out.Mul(ym, m)
		l = len(keep)
		y = out.RawMatrix().Data
		if stride := out.RawMatrix().Stride; stride != l {
			packed := make([]float64, rows*l)
			for rr := range rows {
				copy(packed[rr*l:(rr+1)*l], y[rr*stride:rr*stride+l])
			}
			y = packed
		}
	}
	return y, l
}

// queryVector folds the query into the latent space: Σ weight·idf·U[t,:]
// over the query's known terms, scaled to unit length and padded with
// zeros to the chunk vectors' width. It returns nil when no term is known.
func (m *denseModel) queryVector(qt []queryTerm) []float32 {
	v := make([]float32, m.width)
	any := false
	for _, t := range qt {
		if t.id < 0 {
			continue
		}
		any = true
		w := float32(t.weight * t.idf)
		row := m.terms[int(t.id)*m.rank : int(t.id+1)*m.rank]
		for d, x := range row {
			v[d] += w * x
		}
	}
	if !any {
		return nil
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for d := range v {
		v[d] *= inv
	}
	return v
}
