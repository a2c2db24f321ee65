// Package tensor holds the element types, the tensor descriptor and the
// kernels (dequantization, quantization, dot products) shared by every model
// file format the engine reads.
//
// # Layout
//
// A [Tensor] is a view of stored bytes: a name, an element [Type], a shape in
// row-major order with the outermost dimension first (as numpy and
// safetensors write it) and the raw data, which for a memory-mapped file is
// a slice of the mapping. The innermost dimension is a row; quantized types
// group a row's elements into blocks of [Type.BlockSize] elements stored in
// [Type.BlockBytes] bytes, so a row's length must be a multiple of the block
// size.
//
// # Kernels
//
// [Dequantize] turns stored blocks into float32 values bit for bit as
// llama.cpp's gguf-py does; [DotRow] computes the dot product of one stored
// row with a float32 vector block by block without allocating, which is what
// the model's matrix-vector products are built on; [Quantize] writes the
// types a trainer or test-model generator needs.
package tensor

import (
	"errors"
	"fmt"
)

// Errors returned (wrapped) by this package.
var (
	// ErrUnsupported reports an element type that has no kernels here.
	ErrUnsupported = errors.New("tensor: unsupported type")
	// ErrShape reports lengths or shapes that do not fit together. DotRow
	// and Tensor.Row panic with it, since a mismatch there is a programming
	// error; functions that take data return it wrapped.
	ErrShape = errors.New("tensor: shape mismatch")
)

// A Type is a tensor element type, numbered as in ggml (and so in GGUF).
type Type uint32

// Element types. Only F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K have
// kernels ([Type.Supported]); the others are named so that files holding
// them can be described, and their block sizes are known so that such files
// can still be parsed.
const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q8_1    Type = 9
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	Q8_K    Type = 15
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	I8      Type = 24
	I16     Type = 25
	I32     Type = 26
	I64     Type = 27
	F64     Type = 28
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
)

// QK is the number of elements in a block of the 32-element types (Q4_0,
// Q8_0); QKK is the number in a K-quant super-block (Q4_K, Q5_K, Q6_K).
const (
	QK  = 32
	QKK = 256
)

type typeInfo struct {
	name       string
	blockSize  int
	blockBytes int
	supported  bool
}

// types is indexed by Type; an entry with an empty name is an unknown type.
var types = [...]typeInfo{
	F32:     {"F32", 1, 4, true},
	F16:     {"F16", 1, 2, true},
	Q4_0:    {"Q4_0", QK, 2 + QK/2, true},
	Q4_1:    {"Q4_1", QK, 4 + QK/2, false},
	Q5_0:    {"Q5_0", QK, 2 + 4 + QK/2, false},
	Q5_1:    {"Q5_1", QK, 4 + 4 + QK/2, false},
	Q8_0:    {"Q8_0", QK, 2 + QK, true},
	Q8_1:    {"Q8_1", QK, 4 + QK, false},
	Q2_K:    {"Q2_K", QKK, 2*2 + QKK/16 + QKK/4, false},
	Q3_K:    {"Q3_K", QKK, 2 + QKK/8 + QKK/4 + 12, false},
	Q4_K:    {"Q4_K", QKK, 2*2 + 12 + QKK/2, true},
	Q5_K:    {"Q5_K", QKK, 2*2 + 12 + QKK/8 + QKK/2, true},
	Q6_K:    {"Q6_K", QKK, QKK/2 + QKK/4 + QKK/16 + 2, true},
	Q8_K:    {"Q8_K", QKK, 4 + QKK + QKK/16*2, false},
	IQ2_XXS: {"IQ2_XXS", QKK, 2 + QKK/8*2, false},
	IQ2_XS:  {"IQ2_XS", QKK, 2 + QKK/8*2 + QKK/32, false},
	IQ3_XXS: {"IQ3_XXS", QKK, 2 + 3*QKK/8, false},
	IQ1_S:   {"IQ1_S", QKK, 2 + QKK/8 + QKK/16, false},
	IQ4_NL:  {"IQ4_NL", QK, 2 + QK/2, false},
	IQ3_S:   {"IQ3_S", QKK, 2 + QKK/4 + QKK/32 + QKK/8 + QKK/64, false},
	IQ2_S:   {"IQ2_S", QKK, 2 + QKK/4 + QKK/32 + QKK/32, false},
	IQ4_XS:  {"IQ4_XS", QKK, 2 + 2 + QKK/64 + QKK/2, false},
	I8:      {"I8", 1, 1, false},
	I16:     {"I16", 1, 2, false},
	I32:     {"I32", 1, 4, false},
	I64:     {"I64", 1, 8, false},
	F64:     {"F64", 1, 8, false},
	IQ1_M:   {"IQ1_M", QKK, QKK/8 + QKK/16 + QKK/32, false},
	BF16:    {"BF16", 1, 2, true},
	TQ1_0:   {"TQ1_0", QKK, (QKK-4*QKK/64)/5 + QKK/64 + 2, false},
	TQ2_0:   {"TQ2_0", QKK, QKK/4 + 2, false},
	MXFP4:   {"MXFP4", QK, 1 + QK/2, false},
}

// String returns ggml's name for t, such as "Q4_K", or "Type(N)" for an
// unknown number.
func (t Type) String() string {
	if i := t.info(); i.name != "" {
		return i.name
	}
	return fmt.Sprintf("Type(%d)", uint32(t))
}

// Known reports whether t is a ggml type whose block layout is known.
func (t Type) Known() bool { return t.info().name != "" }

func (t Type) info() typeInfo {
	if uint64(t) < uint64(len(types)) {
		return types[t]
	}
	return typeInfo{}
}

// Supported reports whether this package has kernels (Dequantize, DotRow)
// for t.
func (t Type) Supported() bool {
	return t.info().supported
}

// Check returns nil if t is supported and an error wrapping ErrUnsupported
// naming t otherwise.
func (t Type) Check() error {
	if !t.Supported() {
		return fmt.Errorf("%w %v", ErrUnsupported, t)
	}
	return nil
}

// BlockSize returns the number of elements in one block of t, or 0 if t is
// unknown.
func (t Type) BlockSize() int { return t.info().blockSize }

// BlockBytes returns the number of bytes one block of t takes, or 0 if t is
// unknown.
func (t Type) BlockBytes() int { return t.info().blockBytes }

// RowBytes returns the number of bytes n consecutive elements of t take. It
// fails if t is unknown, n is negative or n is not a multiple of the block
// size.
func (t Type) RowBytes(n int) (int, error) {
	i := t.info()
	if i.name == "" {
		return 0, fmt.Errorf("%w %v", ErrUnsupported, t)
	}
	if n < 0 || n%i.blockSize != 0 {
		return 0, fmt.Errorf("%w: %d elements of %v (block size %d)", ErrShape, n, t, i.blockSize)
	}
	return n / i.blockSize * i.blockBytes, nil
}
