package tensor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var supported = []Type{F32, F16, BF16, Q4_0, Q8_0, Q4_K, Q5_K, Q6_K}

func TestTypeLayout(t *testing.T) {
	tests := []struct {
		typ        Type
		name       string
		blockSize  int
		blockBytes int
	}{
		{F32, "F32", 1, 4},
		{F16, "F16", 1, 2},
		{BF16, "BF16", 1, 2},
		{Q4_0, "Q4_0", 32, 18},
		{Q8_0, "Q8_0", 32, 34},
		{Q4_K, "Q4_K", 256, 144},
		{Q5_K, "Q5_K", 256, 176},
		{Q6_K, "Q6_K", 256, 210},
		{Q2_K, "Q2_K", 256, 84},
		{Q3_K, "Q3_K", 256, 110},
		{IQ4_XS, "IQ4_XS", 256, 136},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.name {
			t.Errorf("Type(%d).String() = %q, want %q", uint32(tt.typ), got, tt.name)
		}
		if got := tt.typ.BlockSize(); got != tt.blockSize {
			t.Errorf("%v.BlockSize() = %d, want %d", tt.typ, got, tt.blockSize)
		}
		if got := tt.typ.BlockBytes(); got != tt.blockBytes {
			t.Errorf("%v.BlockBytes() = %d, want %d", tt.typ, got, tt.blockBytes)
		}
		if got, err := tt.typ.RowBytes(2 * tt.blockSize); err != nil || got != 2*tt.blockBytes {
			t.Errorf("%v.RowBytes(%d) = %d, %v, want %d", tt.typ, 2*tt.blockSize, got, err, 2*tt.blockBytes)
		}
	}
	if _, err := Q4_K.RowBytes(100); !errors.Is(err, ErrShape) {
		t.Errorf("Q4_K.RowBytes(100) error = %v, want ErrShape", err)
	}
	if _, err := Type(31).RowBytes(32); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Type(31).RowBytes error = %v, want ErrUnsupported", err)
	}
	if got := Type(1000).String(); got != "Type(1000)" {
		t.Errorf("Type(1000).String() = %q", got)
	}
	if err := Q2_K.Check(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Q2_K.Check() = %v, want ErrUnsupported", err)
	}
	for _, typ := range supported {
		if err := typ.Check(); err != nil {
			t.Errorf("%v.Check() = %v", typ, err)
		}
	}
}

// randomRow returns n elements of type typ with random contents whose
// scales are finite, moderate half-precision values.
func randomRow(r *rand.Rand, typ Type, n int) []byte {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	switch typ {
	case F32, F16, BF16:
		b := make([]byte, mustRowBytes(typ, n))
		if err := Quantize(typ, b, x); err != nil {
			panic(err)
		}
		return b
	}
	b := make([]byte, mustRowBytes(typ, n))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	scale := func() uint16 { return Float32ToFloat16(float32(r.Float64()*0.02 - 0.005)) }
	bb := typ.BlockBytes()
	for off := 0; off < len(b); off += bb {
		var at []int
		switch typ {
		case Q4_0, Q8_0:
			at = []int{0}
		case Q4_K, Q5_K:
			at = []int{0, 2}
		case Q6_K:
			at = []int{208}
		}
		for _, a := range at {
			binary.LittleEndian.PutUint16(b[off+a:], scale())
		}
	}
	return b
}

func mustRowBytes(typ Type, n int) int {
	rb, err := typ.RowBytes(n)
	if err != nil {
		panic(err)
	}
	return rb
}

// TestDotRowMatchesDequantize checks DotRow against a float64 dot product
// of the dequantized row.
func TestDotRowMatchesDequantize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range supported {
		for _, n := range []int{256, 768, 2048} {
			t.Run(fmt.Sprintf("%v/%d", typ, n), func(t *testing.T) {
				for trial := range 20 {
					row := randomRow(r, typ, n)
					x := make([]float32, n)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					w := make([]float32, n)
					if err := Dequantize(typ, w, row); err != nil {
						t.Fatal(err)
					}
					var want, mag float64
					for i := range w {
						want += float64(w[i]) * float64(x[i])
						mag += math.Abs(float64(w[i]) * float64(x[i]))
					}
					got := DotRow(typ, row, x)
					if tol := 1e-5 * mag; math.Abs(float64(got)-want) > tol {
						t.Fatalf("trial %d: DotRow = %v, want %v (±%g)", trial, got, want, tol)
					}
				}
			})
		}
	}
}

func TestDotRowPanicsOnShape(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		row  int // bytes
		x    int // values
		want error
	}{
		{"short x", Q8_0, 34, 16, ErrShape},
		{"partial block", Q4_K, 100, 256, ErrShape},
		{"unsupported", Q2_K, 84, 256, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tt.want) {
					t.Errorf("DotRow panicked with %v, want %v", err, tt.want)
				}
			}()
			DotRow(tt.typ, make([]byte, tt.row), make([]float32, tt.x))
		})
	}
}

func TestDequantizeErrors(t *testing.T) {
	if err := Dequantize(Q4_0, make([]float32, 32), make([]byte, 17)); !errors.Is(err, ErrShape) {
		t.Errorf("Dequantize(short block) = %v, want ErrShape", err)
	}
	if err := Dequantize(Q4_0, make([]float32, 31), make([]byte, 18)); !errors.Is(err, ErrShape) {
		t.Errorf("Dequantize(short dst) = %v, want ErrShape", err)
	}
	if err := Dequantize(IQ2_XS, make([]float32, 256), make([]byte, 74)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Dequantize(IQ2_XS) = %v, want ErrUnsupported", err)
	}
}

func TestQuantizeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		typ Type
		// bound returns the largest error allowed for x[i] given the
		// block's largest magnitude amax.
		bound func(x, amax float32) float64
	}{
		{F32, func(x, amax float32) float64 { return 0 }},
		{F16, func(x, amax float32) float64 { return math.Abs(float64(x)) * 0x1p-11 }},
		{BF16, func(x, amax float32) float64 { return math.Abs(float64(x)) * 0x1p-8 }},
		// Half a step of d = amax/127, plus d's own half-precision rounding.
		{Q8_0, func(x, amax float32) float64 { return float64(amax) / 127 * (0.5 + 127*0x1p-11) * 1.0001 }},
		// A step of d = amax/8 at the clipped end, plus d's rounding.
		{Q4_0, func(x, amax float32) float64 { return float64(amax) / 8 * (1 + 8*0x1p-11) * 1.0001 }},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			const n = 1024
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * math.Exp(r.NormFloat64()))
			}
			x[5] = 0
			for i := 64; i < 96; i++ { // an all-zero block
				x[i] = 0
			}
			q := make([]byte, mustRowBytes(tt.typ, n))
			if err := Quantize(tt.typ, q, x); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, n)
			if err := Dequantize(tt.typ, y, q); err != nil {
				t.Fatal(err)
			}
			bs := max(tt.typ.BlockSize(), 1)
			for b := 0; b < n; b += max(bs, 32) {
				var amax float32
				for _, v := range x[b : b+max(bs, 32)] {
					amax = max(amax, abs32(v))
				}
				for i := b; i < b+max(bs, 32); i++ {
					if d := math.Abs(float64(y[i] - x[i])); d > tt.bound(x[i], amax) {
						t.Fatalf("x[%d] = %v came back as %v (error %g > %g)", i, x[i], y[i], d, tt.bound(x[i], amax))
					}
				}
			}
			// Quantizing the dequantized values gives the same bytes.
			q2 := make([]byte, len(q))
			if err := Quantize(tt.typ, q2, y); err != nil {
				t.Fatal(err)
			}
			if string(q2) != string(q) {
				t.Errorf("Quantize(Dequantize(Quantize(x))) != Quantize(x)")
			}
		})
	}
}

// TestQuantizeKQuantError checks the K-quant quantizers on Gaussian data:
// the relative RMS error of a round trip stays within what the bits
// allow, and an all-zero block comes back as zeros. Exactness against
// llama-quantize is checked in engine/gguf with its files.
func TestQuantizeKQuantError(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	tests := []struct {
		typ     Type
		maxRMSE float64 // relative to the data's RMS
	}{
		{Q4_K, 0.12},
		{Q5_K, 0.06},
		{Q6_K, 0.03},
		{Q4_0, 0.15},
		{Q8_0, 0.01},
	}
	for _, tt := range tests {
		const n = 4 * QKK
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 0.02)
		}
		for i := QKK; i < 2*QKK; i++ {
			x[i] = 0
		}
		q := make([]byte, mustRowBytes(tt.typ, n))
		if err := Quantize(tt.typ, q, x); err != nil {
			t.Fatal(err)
		}
		y := make([]float32, n)
		if err := Dequantize(tt.typ, y, q); err != nil {
			t.Fatal(err)
		}
		var se, sx float64
		for i := range x {
			se += float64(y[i]-x[i]) * float64(y[i]-x[i])
			sx += float64(x[i]) * float64(x[i])
		}
		if rel := math.Sqrt(se / sx); rel > tt.maxRMSE {
			t.Errorf("%v: relative RMS error %.4f, want at most %.4f", tt.typ, rel, tt.maxRMSE)
		}
		for i := QKK; i < 2*QKK; i++ {
			if y[i] != 0 {
				t.Fatalf("%v: zero block came back with y[%d] = %v", tt.typ, i, y[i])
			}
		}
	}
}

// TestQuantizeQ8_0Rounding pins ggml's rounding: halves away from zero.
func TestQuantizeQ8_0Rounding(t *testing.T) {
	x := make([]float32, 32)
	x[0], x[1], x[2] = 127, -63.5, 0.5
	q := make([]byte, 34)
	if err := Quantize(Q8_0, q, x); err != nil {
		t.Fatal(err)
	}
	if got := Float16ToFloat32(binary.LittleEndian.Uint16(q)); got != 1 {
		t.Errorf("d = %v, want 1", got)
	}
	if got := []int8{int8(q[2]), int8(q[3]), int8(q[4])}; got[0] != 127 || got[1] != -64 || got[2] != 1 {
		t.Errorf("q = %v, want [127 -64 1]", got)
	}
}

func TestQuantizeErrors(t *testing.T) {
	if err := Quantize(Q2_K, make([]byte, 84), make([]float32, 256)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Quantize(Q2_K) = %v, want ErrUnsupported", err)
	}
	if err := Quantize(Q8_0, make([]byte, 34), make([]float32, 33)); !errors.Is(err, ErrShape) {
		t.Errorf("Quantize(33 values) = %v, want ErrShape", err)
	}
	if err := Quantize(F16, make([]byte, 3), make([]float32, 2)); !errors.Is(err, ErrShape) {
		t.Errorf("Quantize(short dst) = %v, want ErrShape", err)
	}
}

func TestTensorRows(t *testing.T) {
	tt := Tensor{Name: "w", Type: Q8_0, Shape: []int{2, 3, 64}, Data: make([]byte, 6*2*34)}
	for i := range tt.Data {
		tt.Data[i] = byte(i)
	}
	if got, want := tt.Rows(), 6; got != want {
		t.Errorf("Rows() = %d, want %d", got, want)
	}
	if got, want := tt.Cols(), 64; got != want {
		t.Errorf("Cols() = %d, want %d", got, want)
	}
	if got, want := tt.Len(), 384; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got := tt.Row(4); len(got) != 68 || got[0] != byte(4*68%256) {
		t.Errorf("Row(4) = %d bytes starting %d, want 68 starting %d", len(got), got[0], 4*68%256)
	}
	v := Tensor{Type: F32, Shape: []int{5}, Data: make([]byte, 20)}
	if v.Rows() != 1 || v.Cols() != 5 {
		t.Errorf("vector Rows, Cols = %d, %d, want 1, 5", v.Rows(), v.Cols())
	}
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, ErrShape) {
			t.Errorf("Row(6) panicked with %v, want ErrShape", err)
		}
	}()
	tt.Row(6)
}

func BenchmarkDotRow(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{768, 2048} {
		for _, typ := range supported {
			row := randomRow(r, typ, n)
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			b.Run(fmt.Sprintf("%v/%d", typ, n), func(b *testing.B) {
				b.SetBytes(int64(len(row)))
				b.ReportAllocs()
				var s float32
				for b.Loop() {
					s += DotRow(typ, row, x)
				}
				_ = s
			})
		}
	}
}

// TestDotRowsMatchesDotRow checks that the batched kernel gives DotRow's
// bits for every vector of the batch.
func TestDotRowsMatchesDotRow(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for _, typ := range supported {
		for _, batch := range []int{1, 2, 5} {
			const n = 512
			row := randomRow(r, typ, n)
			x := make([]float32, batch*n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			out := make([]float32, batch)
			for i := range out {
				out[i] = float32(math.NaN()) // must be overwritten
			}
			DotRows(typ, row, x, out)
			for b := range out {
				if want := DotRow(typ, row, x[b*n:(b+1)*n]); math.Float32bits(out[b]) != math.Float32bits(want) {
					t.Errorf("%v batch %d: DotRows()[%d] = %v, DotRow = %v", typ, batch, b, out[b], want)
				}
			}
		}
	}
	DotRows(Q8_0, nil, nil, nil) // an empty batch does nothing
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, ErrShape) {
			t.Errorf("DotRows(uneven batch) panicked with %v, want ErrShape", err)
		}
	}()
	DotRows(Q8_0, make([]byte, 34), make([]float32, 65), make([]float32, 2))
}

// BenchmarkDotRows measures a batch of 8 vectors; compare ns/op/8 with
// BenchmarkDotRow.
func BenchmarkDotRows(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, batch = 2048, 8
	for _, typ := range supported {
		row := randomRow(r, typ, n)
		x := make([]float32, batch*n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		out := make([]float32, batch)
		b.Run(fmt.Sprintf("%v/%dx%d", typ, batch, n), func(b *testing.B) {
			b.SetBytes(int64(len(row)))
			b.ReportAllocs()
			for b.Loop() {
				DotRows(typ, row, x, out)
			}
		})
	}
}
