package train

import "github.com/switchboard/switchboard/engine/tensor"

// Matrix products. Every product of the trainer is
//
//	C (M×N) += A (M×K) · B (K×N),
//
// with A stored either (M×K) or transposed (K×M), and B stored either
// transposed (N×K, the "NT" form of a forward linear layer) or (K×N).
// C is cut into tiles of tileM×tileN, each computed entirely by one
// goroutine over K in blocks of blockK, so that every element is summed
// in the same order whatever the number of threads.
//
// With AVX2, A's rows are packed into panels of 6 and B's columns into
// panels of 16, k-major, once per product (packing reads either storage,
// so no transpose is needed), and kern6x16AVX computes 6×16 blocks; the
// blocks at the matrix's edges run on zero-padded panels into a scratch
// block. Without it, operands stored otherwise are transposed into
// scratch and tile computes the NT form.

const (
	tileM  = 96 // a multiple of 6 (kern6x16AVX) and of 4 (kernel4x2)
	tileN  = 64 // a multiple of 16
	blockK = 256
)

// Storage of the operands of a product.
const (
	bNK = 0      // B stored (N×K): C = A·Bᵀ of the stored matrix
	bKN = 1 << 0 // B stored (K×N)
	aKM = 1 << 1 // A stored (K×M)
)

// matmulJob is one product: packing items, then tile items.
type matmulJob struct {
	c, a, b    []float32
	m, n, k    int
	layout     int
	tilesN     int
	accumulate bool
	packing    bool      // the current run packs panels rather than computing tiles
	packB      []float32 // (⌈n/16⌉, k, 16) packed panels of B, grown once
	packA      []float32 // (⌈m/6⌉, k, 6) packed panels of A, grown once
	ta, tb     []float32 // transposed operands without AVX2, grown once
	tr         transposeJob
}

// matmul computes C += A·B (or C = A·B when !accumulate) on p, the
// operands stored as layout says (bNK, bKN, aKM combined).
func (p *pool) matmul(j *matmulJob, c, a, b []float32, m, n, k int, layout int, accumulate bool) {
	*j = matmulJob{c: c[:m*n], a: a[:m*k], b: b[:n*k], m: m, n: n, k: k, layout: layout, accumulate: accumulate,
		packB: j.packB, packA: j.packA, ta: j.ta, tb: j.tb}
	j.tilesN = (n + tileN - 1) / tileN
	if useAVX {
		pb, pa := (n+15)/16, (m+5)/6
		j.packB = grow(j.packB, pb*16*k)
		j.packA = grow(j.packA, pa*6*k)
		j.packing = true
		p.run(j, pb+pa)
		j.packing = false
	} else {
		if layout&aKM != 0 {
			j.ta = grow(j.ta, m*k)
			p.transpose(&j.tr, j.ta, j.a, k, m)
			j.a = j.ta[:m*k]
		}
		if layout&bKN != 0 {
			j.tb = grow(j.tb, n*k)
			p.transpose(&j.tr, j.tb, j.b, k, n)
			j.b = j.tb[:n*k]
		}
	}
	p.run(j, ((m+tileM-1)/tileM)*j.tilesN)
}

// grow returns s with at least n elements, reallocating only when short.
func grow(s []float32, n int) []float32 {
	if len(s) < n {
		return make([]float32, n)
	}
	return s
}

func (j *matmulJob) item(t int) {
	if j.packing {
		j.packPanel(t)
		return
	}
	i0, j0 := (t/j.tilesN)*tileM, (t%j.tilesN)*tileN
	i1, j1 := min(i0+tileM, j.m), min(j0+tileN, j.n)
	if !j.accumulate {
		for i := i0; i < i1; i++ {
			clear(j.c[i*j.n+j0 : i*j.n+j1])
		}
	}
	for k0 := 0; k0 < j.k; k0 += blockK {
		k1 := min(k0+blockK, j.k)
		if !useAVX {
			tile(j.c, j.a, j.b, j.n, j.k, i0, i1, j0, j1, k0, k1)
			continue
		}
		for jp := j0; jp < j1; jp += 16 {
			panel := j.packB[jp*j.k+k0*16:]
			for i := i0; i < i1; i += 6 {
				ap := &j.packA[i*j.k+k0*6]
				if i+6 <= j.m && jp+16 <= j.n {
					kern6x16AVX(ap, &panel[0], k1-k0, &j.c[i*j.n+jp], j.n)
					continue
				}
				// An edge block: compute on the zero-padded panels, keep
				// what lies inside C.
				var blk [6 * 16]float32
				kern6x16AVX(ap, &panel[0], k1-k0, &blk[0], 16)
				for r := 0; r < min(6, j.m-i); r++ {
					row := j.c[(i+r)*j.n+jp : (i+r)*j.n+min(jp+16, j.n)]
					for c := range row {
						row[c] += blk[r*16+c]
					}
				}
			}
		}
	}
}

// packPanel packs B's panel t (columns 16t..16t+15), or, for t past B's
// panels, A's panel t' (rows 6t'..6t'+5).
func (j *matmulJob) packPanel(t int) {
	if nb := (j.n + 15) / 16; t < nb {
		pack(j.packB[t*16*j.k:(t+1)*16*j.k], j.b, 16, 16*t, j.n, j.k, j.layout&bKN != 0)
	} else {
		t -= nb
		pack(j.packA[t*6*j.k:(t+1)*6*j.k], j.a, 6, 6*t, j.m, j.k, j.layout&aKM != 0)
	}
}

// pack writes lines l0..l0+width-1 of src k-major into dst
// (dst[p·width + i] = line l0+i at p), zero past the last of `lines`
// lines. A line is a row of src stored (lines×k), or a column of src
// stored (k×lines) when kMajor.
func pack(dst, src []float32, width, l0, lines, k int, kMajor bool) {
	w := min(width, lines-l0)
	if w < width {
		clear(dst)
	}
	if !kMajor {
		for i := 0; i < w; i++ {
			for p, v := range src[(l0+i)*k : (l0+i+1)*k] {
				dst[p*width+i] = v
			}
		}
		return
	}
	for p := 0; p < k; p++ {
		s, d := src[p*lines+l0:p*lines+l0+w], dst[p*width:p*width+width]
		switch {
		case w == 16 && width == 16: // fixed-size copies: no call to memmove
			*(*[16]float32)(d) = [16]float32(s)
		case w == 6 && width == 6:
			*(*[6]float32)(d) = [6]float32(s)
		default:
			copy(d, s)
		}
	}
}

// tile adds A[i0:i1, k0:k1] · B[j0:j1, k0:k1]ᵀ to C[i0:i1, j0:j1], four
// rows by two columns at a time, each element's sum running over k in
// order into one accumulator.
func tile(c, a, b []float32, n, k, i0, i1, j0, j1, k0, k1 int) {
	i := i0
	for ; i+4 <= i1; i += 4 {
		a0 := a[i*k+k0 : i*k+k1]
		a1 := a[(i+1)*k+k0 : (i+1)*k+k1]
		a2 := a[(i+2)*k+k0 : (i+2)*k+k1]
		a3 := a[(i+3)*k+k0 : (i+3)*k+k1]
		jj := j0
		for ; jj+2 <= j1; jj += 2 {
			b0 := b[jj*k+k0 : jj*k+k1]
			b1 := b[(jj+1)*k+k0 : (jj+1)*k+k1]
			s00, s01, s10, s11, s20, s21, s30, s31 := kernel4x2(a0, a1, a2, a3, b0, b1)
			c0, c1, c2, c3 := c[i*n+jj:i*n+jj+2], c[(i+1)*n+jj:(i+1)*n+jj+2], c[(i+2)*n+jj:(i+2)*n+jj+2], c[(i+3)*n+jj:(i+3)*n+jj+2]
			c0[0] += s00
			c0[1] += s01
			c1[0] += s10
			c1[1] += s11
			c2[0] += s20
			c2[1] += s21
			c3[0] += s30
			c3[1] += s31
		}
		for ; jj < j1; jj++ {
			bj := b[jj*k+k0 : jj*k+k1]
			c[i*n+jj] += dotSeq(a0, bj)
			c[(i+1)*n+jj] += dotSeq(a1, bj)
			c[(i+2)*n+jj] += dotSeq(a2, bj)
			c[(i+3)*n+jj] += dotSeq(a3, bj)
		}
	}
	for ; i < i1; i++ {
		ai := a[i*k+k0 : i*k+k1]
		for jj := j0; jj < j1; jj++ {
			c[i*n+jj] += dotSeq(ai, b[jj*k+k0:jj*k+k1])
		}
	}
}

// kernel4x2 returns the eight dot products of a0..a3 with b0, b1. With
// AVX2 the sums run in eight lanes; either way the order depends only on
// the length, so results do not depend on the number of threads.
func kernel4x2(a0, a1, a2, a3, b0, b1 []float32) (s00, s01, s10, s11, s20, s21, s30, s31 float32) {
	n := len(a0)
	a1, a2, a3, b0, b1 = a1[:n], a2[:n], a3[:n], b0[:n], b1[:n]
	p := 0
	if useAVX && n >= 8 {
		var out [8]float32
		p = n &^ 7
		dot4x2AVX(&a0[0], &a1[0], &a2[0], &a3[0], &b0[0], &b1[0], p, &out)
		s00, s01, s10, s11, s20, s21, s30, s31 = out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7]
	}
	for ; p < n; p++ {
		x0, x1 := b0[p], b1[p]
		v := a0[p]
		s00 += v * x0
		s01 += v * x1
		v = a1[p]
		s10 += v * x0
		s11 += v * x1
		v = a2[p]
		s20 += v * x0
		s21 += v * x1
		v = a3[p]
		s30 += v * x0
		s31 += v * x1
	}
	return
}

// dotSeq returns a·b (tensor.DotF32: AVX2 lanes where available); the
// order of its sums depends only on the length.
func dotSeq(a, b []float32) float32 { return tensor.DotF32(a, b) }

// transposeJob writes dst (cols×rows) = srcᵀ, src (rows×cols), in
// 32×32 blocks split over the pool.
type transposeJob struct {
	dst, src   []float32
	rows, cols int
	blocksC    int
}

const tBlock = 32

func (p *pool) transpose(j *transposeJob, dst, src []float32, rows, cols int) {
	*j = transposeJob{dst: dst[:rows*cols], src: src[:rows*cols], rows: rows, cols: cols}
	j.blocksC = (cols + tBlock - 1) / tBlock
	p.run(j, ((rows+tBlock-1)/tBlock)*j.blocksC)
}

func (j *transposeJob) item(t int) {
	r0, c0 := (t/j.blocksC)*tBlock, (t%j.blocksC)*tBlock
	r1, c1 := min(r0+tBlock, j.rows), min(c0+tBlock, j.cols)
	for r := r0; r < r1; r++ {
		row := j.src[r*j.cols : (r+1)*j.cols]
		for c := c0; c < c1; c++ {
			j.dst[c*j.rows+r] = row[c]
		}
	}
}
