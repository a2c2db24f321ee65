package tensor

import (
	"os"
	"sync/atomic"
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
