package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Q8 holds a batch of activation vectors quantized to 8 bits per value in
// blocks of QK, as ggml's Q8_0: each block has a scale d (rounded to
// float16, as ggml stores it) and 32 values q with x ≈ d·q. Quantizing the
// vector once per matrix-vector product lets DotQ8 multiply Q8_0 and Q4_0
// weight rows with integer arithmetic on the stored quants, as llama.cpp
// does. The zero value is ready to use; buffers grow to the largest batch
// and are reused, so a steady decode loop does not allocate.
type Q8 struct {
	n int       // values per vector
	q []int8    // quants, vector after vector
	d []float32 // one scale per block
}

// QuantizeQ8 reports whether DotQ8 handles rows of type t.
func QuantizeQ8(t Type) bool { return t == Q8_0 || t == Q4_0 }

// Quantize stores x, len(x)/n vectors of n values (n a multiple of QK),
// replacing what a held. Each block gets d = max|x|/127 and
// q = round(x/d), ggml's quantize_row_q8_0.
func (a *Q8) Quantize(x []float32, n int) {
	if n <= 0 || n%QK != 0 || len(x)%n != 0 {
		panic(fmt.Errorf("quantize q8: %w: %d values in vectors of %d", ErrShape, len(x), n))
	}
	a.n = n
	if cap(a.q) < len(x) {
		a.q = make([]int8, len(x))
		a.d = make([]float32, len(x)/QK)
	}
	a.q, a.d = a.q[:len(x)], a.d[:len(x)/QK]
	for b := range a.d {
		xs := x[b*QK : b*QK+QK : b*QK+QK]
		var amax float32
		for _, v := range xs {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		a.d[b] = f16Table[Float32ToFloat16(d)]
		qs := a.q[b*QK : b*QK+QK : b*QK+QK]
		for j, v := range xs {
			qs[j] = int8(math.Round(float64(v * id)))
		}
	}
}

// Len returns the number of vectors held.
func (a *Q8) Len() int {
	if a.n == 0 {
		return 0
	}
	return len(a.q) / a.n
}

// DotQ8 returns the dot product of a stored row of type t (Q8_0 or Q4_0,
// see QuantizeQ8) with vector b of a: Σ_blocks dw·dx·Σ w·q, the inner sums
// exact in integers. It differs from DotRow on the float vector by the
// rounding of the activations to 8 bits (relative error per value up to
// 1/254 of its block's largest magnitude), which is what llama.cpp
// computes too. It panics with ErrShape if the lengths do not fit.
func DotQ8(t Type, row []byte, a *Q8, b int) float32 {
	if !QuantizeQ8(t) {
		panic(fmt.Errorf("dot q8: %w %v", ErrUnsupported, t))
	}
	checkRow(t, row, a.n)
	if b < 0 || b >= a.Len() {
		panic(fmt.Errorf("dot q8: %w: vector %d of %d", ErrShape, b, a.Len()))
	}
	nb := a.n / QK
	q, d := a.q[b*a.n:(b+1)*a.n], a.d[b*nb:(b+1)*nb]
	if simdOn.Load() {
		return simdDotQ8(t, row, q, d)
	}
	if t == Q8_0 {
		return dotQ8Q8_0(row, q, d)
	}
	return dotQ8Q4_0(row, q, d)
}

func dotQ8Q8_0(row []byte, q []int8, d []float32) float32 {
	const bb = 2 + QK
	var sum float32
	for b := range d {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		qs := q[b*QK : b*QK+QK : b*QK+QK]
		var s int32
		for j, w := range blk[2:bb] {
			s += int32(int8(w)) * int32(qs[j])
		}
		sum += f16Table[binary.LittleEndian.Uint16(blk)] * d[b] * float32(s)
	}
	return sum
}

func dotQ8Q4_0(row []byte, q []int8, d []float32) float32 {
	const bb = 2 + QK/2
	var sum float32
	for b := range d {
		blk := row[b*bb : b*bb+bb : b*bb+bb]
		qs := q[b*QK : b*QK+QK : b*QK+QK]
		var s int32
		for j, w := range blk[2:bb] {
			s += (int32(w&0xf)-8)*int32(qs[j]) + (int32(w>>4)-8)*int32(qs[j+QK/2])
		}
		sum += f16Table[binary.LittleEndian.Uint16(blk)] * d[b] * float32(s)
	}
	return sum
}
