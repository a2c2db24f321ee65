package knowledge

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

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

// denseConfidenceScale maps a dense cosine onto the confidence scale.
const denseConfidenceScale = 1.0

// denseModel holds the LSA projection and chunk vectors. Immutable.
type denseModel struct {
	rank   int
	terms  []float32 // term vectors, row-major (terms × rank): the rows of U_r
	chunks []float32 // unit chunk vectors, row-major (chunks × rank): U_rᵀ a_j normalised
	weight float64
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
	tf := map[int32]float64{}
	var ids []int32
	for _, at := range analysed {
		clear(tf)
		for f, fids := range at.ids {
			for _, id := range fids {
				tf[id] += ix.weight[f]
			}
		}
		ids = ids[:0]
		for id := range tf {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
		first := len(m.val)
		var norm float64
		for _, id := range ids {
			v := (1 + math.Log(tf[id])) * ix.idf[id]
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
	y := make([]float64, a.rows*l)
	omega := make([]float64, l)
	for j := range a.cols {
		rng := rand.New(rand.NewPCG(0x5eed, uint64(j)))
		for i := range omega {
			omega[i] = rng.NormFloat64()
		}
		a.colAdd(j, omega, l, y)
	}
	q, l := orthonormalise(y, a.rows, l)
	z := make([]float64, l)
	for range iters {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("build dense vectors: %w", err)
		}
		y = make([]float64, a.rows*l)
		for j := range a.cols {
			a.colDot(j, q, l, z)
			a.colAdd(j, z, l, y)
		}
		q, l = orthonormalise(y, a.rows, l)
		z = z[:l]
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("build dense vectors: %w", err)
	}

	// S = Qᵀ A Aᵀ Q = Σ_j z_j z_jᵀ; its eigenvectors W rotate Q onto the
	// left singular vectors: U = Q W, σ² = eigenvalues.
	s := mat.NewSymDense(l, nil)
	zs := make([]float64, a.cols*l)
	for j := range a.cols {
		zj := zs[j*l : (j+1)*l]
		a.colDot(j, q, l, zj)
		s.SymRankOne(s, 1, mat.NewVecDense(l, zj))
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("build dense vectors: eigen decomposition failed")
	}
	var w mat.Dense
	eig.VectorsTo(&w)
	vals := eig.Values(nil) // ascending
	r = min(r, l)
	// Column c of W for latent dimension d (largest first).
	col := func(d int) int { return l - 1 - d }
	for r > 0 && vals[col(r-1)] <= 1e-12 {
		r--
	}
	if r < minRank {
		return nil, nil
	}

	dm := &denseModel{rank: r, weight: o.Weight}
	if dm.weight <= 0 {
		dm.weight = DefaultDenseWeight
	}
	dm.terms = make([]float32, a.rows*r)
	for t := range a.rows {
		qt := q[t*l : (t+1)*l]
		for d := range r {
			var v float64
			for i := range l {
				v += qt[i] * w.At(i, col(d))
			}
			dm.terms[t*r+d] = float32(v)
		}
	}
	dm.chunks = make([]float32, a.cols*r)
	for j := range a.cols {
		zj := zs[j*l : (j+1)*l]
		out := dm.chunks[j*r : (j+1)*r]
		var norm float64
		for d := range r {
			var v float64
			for i := range l {
				v += zj[i] * w.At(i, col(d))
			}
			out[d] = float32(v)
			norm += v * v
		}
		if norm > 0 {
			inv := float32(1 / math.Sqrt(norm))
			for d := range out {
				out[d] *= inv
			}
		}
	}
	return dm, nil
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
// over the query's known terms. It returns nil when no term is known.
func (m *denseModel) queryVector(qt []queryTerm) []float32 {
	v := make([]float32, m.rank)
	any := false
	for _, t := range qt {
		if t.id < 0 {
			continue
		}
		any = true
		w := float32(t.weight * t.idf)
		row := m.terms[int(t.id)*m.rank : int(t.id+1)*m.rank]
		for d := range v {
			v[d] += w * row[d]
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

// search returns the k chunks with the highest cosine to the unit vector q.
func (m *denseModel) search(q []float32, k int) []hit {
	n := len(m.chunks) / m.rank
	hits := make([]hit, 0, n)
	for j := range n {
		if s := dot32(q, m.chunks[j*m.rank:(j+1)*m.rank]); s > 0 {
			hits = append(hits, hit{int32(j), float64(s)})
		}
	}
	return topK(hits, k)
}

// similarity is the cosine between the unit query vector q and chunk doc.
func (m *denseModel) similarity(q []float32, doc int32) float64 {
	return float64(dot32(q, m.chunks[int(doc)*m.rank:int(doc+1)*m.rank]))
}

// dot32 returns Σ a[i]·b[i].
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
