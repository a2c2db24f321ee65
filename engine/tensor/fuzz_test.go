package tensor

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzKernels feeds arbitrary bytes to the kernels of every supported
// type: nothing may panic, and DotRows must agree with DotRow bit for bit
// (NaN included) whatever the block scales hold.
func FuzzKernels(f *testing.F) {
	f.Add(uint8(0), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40"))
	f.Add(uint8(5), make([]byte, 144))
	f.Add(uint8(7), make([]byte, 210))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := supported[int(which)%len(supported)]
		bb := typ.BlockBytes()
		data = data[:len(data)/bb*bb]
		n := len(data) / bb * typ.BlockSize()
		w := make([]float32, n)
		if err := Dequantize(typ, w, data); err != nil {
			t.Fatalf("Dequantize(%v, %d bytes) = %v", typ, len(data), err)
		}
		x := make([]float32, 2*n)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		out := make([]float32, 2)
		DotRows(typ, data, x, out)
		for b := range out {
			want := DotRow(typ, data, x[b*n:(b+1)*n])
			if math.Float32bits(out[b]) != math.Float32bits(want) && !(out[b] != out[b] && want != want) {
				t.Fatalf("%v: DotRows()[%d] = %v, DotRow = %v", typ, b, out[b], want)
			}
		}
	})
}

// FuzzQuantize quantizes arbitrary float32 bit patterns (NaN, infinities,
// subnormals included) to every writable type: nothing may panic, and the
// result must dequantize.
func FuzzQuantize(f *testing.F) {
	f.Add(uint8(5), []byte("\x00\x00\xc0\x7f\x00\x00\x80\x7f\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := supported[int(which)%len(supported)]
		n := len(data) / 4 / typ.BlockSize() * typ.BlockSize()
		if n == 0 {
			n = typ.BlockSize()
		}
		x := make([]float32, n)
		for i := range x {
			if 4*i+4 <= len(data) {
				x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
		}
		q := make([]byte, mustRowBytes(typ, n))
		if err := Quantize(typ, q, x); err != nil {
			t.Fatalf("Quantize(%v, %d values) = %v", typ, n, err)
		}
		if err := Dequantize(typ, make([]float32, n), q); err != nil {
			t.Fatalf("Dequantize(%v) = %v", typ, err)
		}
	})
}
