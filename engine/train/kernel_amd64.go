package train

import (
	"os"

	"golang.org/x/sys/cpu"
)

// useAVX selects the AVX2/FMA kernels of kernel_amd64.s; like package
// tensor's, SWITCHBOARD_PORTABLE=1 turns them off.
var useAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA && os.Getenv("SWITCHBOARD_PORTABLE") != "1"

//go:noescape
func dot4x2AVX(a0, a1, a2, a3, b0, b1 *float32, n int, out *[8]float32)

//go:noescape
func axpyAVX(y, x *float32, alpha float32, n int)

//go:noescape
func kern6x16AVX(ap, bp *float32, kb int, c *float32, ldc int)
