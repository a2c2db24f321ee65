package train

import "testing"

// TestPureGoKernels runs the kernel tests with the AVX2 kernels off.
func TestPureGoKernels(t *testing.T) {
	saved := useAVX
	useAVX = false
	defer func() { useAVX = saved }()
	t.Run("matmul", TestMatmulAgainstReference)
	t.Run("vector", TestVectorKernels)
	t.Run("gradients", TestGradientsFiniteDifferences)
}
