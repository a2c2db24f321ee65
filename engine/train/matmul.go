package train

import "github.com/switchboard/switchboard/engine/tensor"

// Matrix products. Every product of the trainer is written as
//
//	C (M×N) += A (M×K) · Bᵀ,  B stored (N×K),
//
// the form in which both operands are read along contiguous rows; the
// other products transpose an operand first (transpose is O(size) against
// the product's O(M·N·K)). C is cut into tiles of tileM×tileN, each
// computed entirely by one goroutine over K in blocks of blockK, so that
// a tile's slice of A and B stays in cache and every element is summed in
// the same order whatever the number of threads.

const (
	tileM  = 96 // a multiple of 6 (kern6x16AVX) and of 4 (kernel4x2)
	tileN  = 64 // a multiple of 16
	blockK = 256
)

// matmulJob is one product split into tiles. With the AVX2 kernels, B's
// columns are first packed into panels of 16 and A's rows into panels of
// 6, k-major, once per product; then every tile's full 6×16 blocks run
// kern6x16AVX on them, and the rows and columns left over go through
// tile.
type matmulJob struct {
	c, a, b    []float32
	m, n, k    int
	tilesN     int
	accumulate bool
	packing    bool      // the current run packs panels rather than computing tiles
	pack       []float32 // (n/16, k, 16) packed panels of B, grown once
	packA      []float32 // (m/6, k, 6) packed panels of A, grown once
}

// matmul computes C += A·Bᵀ (or C = A·Bᵀ when !accumulate) on p.
func (p *pool) matmul(j *matmulJob, c, a, b []float32, m, n, k int, accumulate bool) {
	*j = matmulJob{c: c[:m*n], a: a[:m*k], b: b[:n*k], m: m, n: n, k: k, accumulate: accumulate, pack: j.pack, packA: j.packA}
	j.tilesN = (n + tileN - 1) / tileN
	if useAVX && n >= 16 && m >= 6 {
		if len(j.pack) < n/16*16*k {
			j.pack = make([]float32, n/16*16*k)
		}
		if len(j.packA) < m/6*6*k {
			j.packA = make([]float32, m/6*6*k)
		}
		j.packing = true
		p.run(j, n/16+m/6)
		j.packing = false
	}
	p.run(j, ((m+tileM-1)/tileM)*j.tilesN)
}

func (j *matmulJob) item(t int) {
	if j.packing && t >= j.n/16 {
		// Panel t of A: rows 6t..6t+5 of every k.
		t -= j.n / 16
		panel := j.packA[t*6*j.k : (t+1)*6*j.k]
		for r := 0; r < 6; r++ {
			row := j.a[(6*t+r)*j.k : (6*t+r+1)*j.k]
			for p, v := range row {
				panel[p*6+r] = v
			}
		}
		return
	}
	if j.packing {
		// Panel t of B: columns 16t..16t+15 of every k.
		panel := j.pack[t*16*j.k : (t+1)*16*j.k]
		for c := 0; c < 16; c++ {
			row := j.b[(16*t+c)*j.k : (16*t+c+1)*j.k]
			for p, v := range row {
				panel[p*16+c] = v
			}
		}
		return
	}
	i0, j0 := (t/j.tilesN)*tileM, (t%j.tilesN)*tileN
	i1, j1 := min(i0+tileM, j.m), min(j0+tileN, j.n)
	if !j.accumulate {
		for i := i0; i < i1; i++ {
			clear(j.c[i*j.n+j0 : i*j.n+j1])
		}
	}
	packed := useAVX && j.n >= 16 && j.m >= 6
	for k0 := 0; k0 < j.k; k0 += blockK {
		k1 := min(k0+blockK, j.k)
		if !packed {
			tile(j.c, j.a, j.b, j.n, j.k, i0, i1, j0, j1, k0, k1)
			continue
		}
		i6, j16 := i0+(i1-i0)/6*6, j0+(j1-j0)/16*16
		for jp := j0; jp < j16; jp += 16 {
			panel := j.pack[jp*j.k+k0*16:]
			for i := i0; i < i6; i += 6 {
				kern6x16AVX(&j.packA[i*j.k+k0*6], &panel[0], k1-k0, &j.c[i*j.n+jp], j.n)
			}
		}
		if i6 < i1 {
			tile(j.c, j.a, j.b, j.n, j.k, i6, i1, j0, j16, k0, k1)
		}
		if j16 < j1 {
			tile(j.c, j.a, j.b, j.n, j.k, i0, i1, j16, j1, k0, k1)
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
