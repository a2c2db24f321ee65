//go:build !amd64

package train

const useAVX = false

func dot4x2AVX(a0, a1, a2, a3, b0, b1 *float32, n int, out *[8]float32) { panic("unreachable") }
func dotAVX(a, b *float32, n int) float32                               { panic("unreachable") }
func axpyAVX(y, x *float32, alpha float32, n int)                       { panic("unreachable") }

func kern6x16AVX(ap, bp *float32, kb int, c *float32, ldc int) {
	panic("unreachable")
}
