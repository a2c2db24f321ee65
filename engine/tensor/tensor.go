package tensor

import "fmt"

// A Tensor is a view of a stored tensor. Shape is row-major with the
// outermost dimension first: a weight matrix of rows output rows, each of
// cols contiguous elements, has Shape [rows, cols]. Data holds the elements
// in their stored type; for a memory-mapped file it is a slice of the
// mapping, valid until the file is closed, and must not be written.
type Tensor struct {
	Name  string
	Type  Type
	Shape []int
	Data  []byte
}

// Len returns the number of elements: the product of Shape (1 for a scalar).
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Cols returns the length of a row, the innermost dimension (1 for a
// scalar).
func (t Tensor) Cols() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[len(t.Shape)-1]
}

// Rows returns the number of rows: the product of every dimension but the
// innermost (1 for a vector or a scalar).
func (t Tensor) Rows() int {
	n := 1
	for i := 0; i < len(t.Shape)-1; i++ {
		n *= t.Shape[i]
	}
	return n
}

// RowBytes returns the number of bytes one row takes.
// It panics with ErrShape if Cols is not a multiple of the block size.
func (t Tensor) RowBytes() int {
	n, err := t.Type.RowBytes(t.Cols())
	if err != nil {
		panic(err)
	}
	return n
}

// Row returns the stored bytes of row i, a slice of Data. It panics with
// ErrShape if i is out of range or Data is too short.
func (t Tensor) Row(i int) []byte {
	rb := t.RowBytes()
	if i < 0 || i >= t.Rows() || (i+1)*rb > len(t.Data) {
		panic(fmt.Errorf("%w: row %d of %s %v (%d bytes)", ErrShape, i, t.Name, t.Shape, len(t.Data)))
	}
	return t.Data[i*rb : (i+1)*rb : (i+1)*rb]
}

// Float32s returns every element of t dequantized into a new slice, in
// row-major order.
func (t Tensor) Float32s() ([]float32, error) {
	out := make([]float32, t.Len())
	if err := Dequantize(t.Type, out, t.Data); err != nil {
		return nil, fmt.Errorf("dequantize %s: %w", t.Name, err)
	}
	return out, nil
}

// DotRow returns the dot product of row i with x; see the DotRow function.
func (t Tensor) DotRow(i int, x []float32) float32 { return DotRow(t.Type, t.Row(i), x) }

// String describes t, such as "blk.0.attn_q.weight Q4_K [256 256]".
func (t Tensor) String() string { return fmt.Sprintf("%s %v %v", t.Name, t.Type, t.Shape) }
