package tensor

import (
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
