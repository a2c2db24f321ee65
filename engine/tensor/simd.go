package tensor

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"
)

// simdOn selects the SIMD kernels (assembly on amd64 with AVX2, FMA and
// F16C) over the portable Go ones. It starts on where the CPU has the
// features, unless the environment sets SWITCHBOARD_PORTABLE=1.
var simdOn atomic.Bool

func init() { simdOn.Store(hasAVX2 && os.Getenv("SWITCHBOARD_PORTABLE") != "1") }

// SIMD reports whether the SIMD kernels are in use.
func SIMD() bool { return simdOn.Load() }

// SetSIMD turns the SIMD kernels on or off (on only where the CPU has
// them) and returns the previous setting. Tests use it to run both paths
// on the same data; results differ by float32 rounding only.
func SetSIMD(on bool) (was bool) {
	return simdOn.Swap(on && hasAVX2)
}

// DotF32 returns Σ a[i]·b[i] over len(a) values (b must be at least as
// long), with the SIMD kernel when it is on.
func DotF32(a, b []float32) float32 {
	b = b[:len(a)]
	if simdOn.Load() {
		return simdDotF32(a, b)
	}
	var s0, s1, s2, s3 float32
	n := len(a) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for i := n; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// DotF32Batch sets out[b·ld] = w·x[b·n:(b+1)·n] for every vector b of x
// (n = len(w)): one row of a matrix against a batch, the row read once for
// four vectors with SIMD. It panics with ErrShape if the lengths do not
// fit.
func DotF32Batch(w, x []float32, out []float32, ld int) {
	n := len(w)
	if n == 0 || len(x)%n != 0 || (len(x) > 0 && len(out) < (len(x)/n-1)*ld+1) {
		panic(fmt.Errorf("dot f32 batch: %w: %d weights, %d values, %d outputs", ErrShape, n, len(x), len(out)))
	}
	B := len(x) / n
	b := 0
	if simdOn.Load() && n%8 == 0 {
		var o [4]float32
		for ; b+4 <= B; b += 4 {
			simdDotF32x4(w, x[b*n:(b+4)*n], &o)
			out[b*ld], out[(b+1)*ld], out[(b+2)*ld], out[(b+3)*ld] = o[0], o[1], o[2], o[3]
		}
	}
	for ; b < B; b++ {
		out[b*ld] = DotF32(w, x[b*n:(b+1)*n])
	}
}

// DotRowBatch sets out[b·ld] = DotRow(t, row, x[b·n:(b+1)·n]) for every
// vector b of x, n the row's length: F32 rows are read once for four
// vectors (DotF32Batch); other types take DotRow per vector.
func DotRowBatch(t Type, row []byte, x []float32, n int, out []float32, ld int) {
	if t == F32 && littleEndian {
		checkRow(t, row, n)
		DotF32Batch(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(row))), n), x, out, ld)
		return
	}
	for b := 0; b < len(x)/n; b++ {
		out[b*ld] = DotRow(t, row, x[b*n:(b+1)*n])
	}
}

// Axpy computes y += α·x over len(x) values (y must be at least as long),
// with the SIMD kernel when it is on; both paths round the product and
// the sum separately, so they agree exactly.
func Axpy(y []float32, alpha float32, x []float32) {
	y = y[:len(x)]
	if simdOn.Load() {
		simdAxpy(y, alpha, x)
		return
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}

// DotF32Rows sets out[b·ld+r] = w[r]·x[b] for the nrows rows of w (n =
// len(w)/nrows values each) and every vector b of x (len(x)/n of them): a
// matrix product. With AVX-512, four rows at a time meet the vectors four
// by four in one call of a kernel that loads each of them once per 16
// columns for 16 fused multiply-adds, and fewer than four vectors take all
// the rows in one call each; the rest goes through DotF32Batch. Results differ from
// DotF32Batch's by float32 rounding only. It panics with ErrShape if the
// lengths do not fit.
func DotF32Rows(w []float32, nrows int, x []float32, out []float32, ld int) {
	if nrows <= 0 {
		return
	}
	n := len(w) / nrows
	if n == 0 || n*nrows != len(w) || len(x)%n != 0 || ld < nrows || (len(x) > 0 && len(out) < (len(x)/n-1)*ld+nrows) {
		panic(fmt.Errorf("dot f32 rows: %w: %d×%d weights, %d values, %d outputs with stride %d", ErrShape, nrows, n, len(x), len(out), ld))
	}
	B := len(x) / n
	r := 0
	if simdOn.Load() && hasAVX512 && n%16 == 0 && B >= 4 {
		B4 := B &^ 3
		for ; r+4 <= nrows; r += 4 {
			simdDotF32x4xN(w[r*n:(r+4)*n], x[:B4*n], n, out[r:], ld)
			if b := B4; b < B {
				for i := 0; i < 4; i++ {
					DotF32Batch(w[(r+i)*n:(r+i+1)*n], x[b*n:], out[b*ld+r+i:], ld)
				}
			}
		}
	}
	if simdOn.Load() && hasAVX512 && n%16 == 0 && B < 4 {
		// One to three vectors (a decode step): each against all the
		// rows in one call.
		for b := 0; b < B; b++ {
			simdDotF32Rows(w[r*n:], x[b*n:(b+1)*n], out[b*ld+r:b*ld+nrows])
		}
		return
	}
	for ; r < nrows; r++ {
		DotF32Batch(w[r*n:(r+1)*n], x, out[r:], ld)
	}
}

// DotRowsBatch sets out[b·ld+r] = DotRow(t, row r, x[b·n:(b+1)·n]) for
// the nrows rows stored one after another in rows and every vector b of
// x: F32 rows through DotF32Rows, other types row by row through
// DotRowBatch.
func DotRowsBatch(t Type, rows []byte, nrows int, x []float32, n int, out []float32, ld int) {
	if nrows <= 0 {
		return
	}
	rb := len(rows) / nrows
	if t == F32 && littleEndian {
		checkRow(t, rows[:rb], n)
		if rb*nrows != len(rows) {
			panic(fmt.Errorf("dot rows batch: %w: %d bytes for %d rows", ErrShape, len(rows), nrows))
		}
		DotF32Rows(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(rows))), n*nrows), nrows, x, out, ld)
		return
	}
	for r := 0; r < nrows; r++ {
		DotRowBatch(t, rows[r*rb:(r+1)*rb], x, n, out[r:], ld)
	}
}
