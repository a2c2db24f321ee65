#include "textflag.h"

// func dot4x2AVX(a0, a1, a2, a3, b0, b1 *float32, n int, out *[8]float32)
// out = [a0·b0, a0·b1, a1·b0, a1·b1, a2·b0, a2·b1, a3·b0, a3·b1] over n
// elements, n a multiple of 8. Needs AVX2 and FMA.
TEXT ·dot4x2AVX(SB), NOSPLIT, $0-64
	MOVQ a0+0(FP), AX
	MOVQ a1+8(FP), BX
	MOVQ a2+16(FP), CX
	MOVQ a3+24(FP), DX
	MOVQ b0+32(FP), SI
	MOVQ b1+40(FP), DI
	MOVQ n+48(FP), R8
	MOVQ out+56(FP), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	SHLQ $2, R8
	XORQ R10, R10

loop:
	CMPQ R10, R8
	JGE  reduce
	VMOVUPS (SI)(R10*1), Y8
	VMOVUPS (DI)(R10*1), Y9
	VMOVUPS (AX)(R10*1), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VMOVUPS (BX)(R10*1), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VMOVUPS (CX)(R10*1), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VMOVUPS (DX)(R10*1), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $32, R10
	JMP  loop

reduce:
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x31, Y4, Y0, Y9
	VADDPS  Y9, Y8, Y8
	VMOVUPS Y8, (R9)
	VZEROUPPER
	RET

// func dotAVX(a, b *float32, n int) float32
// a·b over n elements, n a multiple of 8.
TEXT ·dotAVX(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), BX
	MOVQ n+16(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SHLQ $2, R8
	XORQ R10, R10
	// two accumulators over 16 elements, then one over the last 8
dloop16:
	LEAQ 32(R10), R11
	CMPQ R11, R8
	JGE  dtail
	VMOVUPS (AX)(R10*1), Y2
	VFMADD231PS (BX)(R10*1), Y2, Y0
	VMOVUPS (AX)(R11*1), Y3
	VFMADD231PS (BX)(R11*1), Y3, Y1
	ADDQ $64, R10
	JMP  dloop16
dtail:
	CMPQ R10, R8
	JGE  dred
	VMOVUPS (AX)(R10*1), Y2
	VFMADD231PS (BX)(R10*1), Y2, Y0
	ADDQ $32, R10
dred:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX(y, x *float32, alpha float32, n int)
// y += alpha·x over n elements, n a multiple of 8.
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), AX
	MOVQ x+8(FP), BX
	VBROADCASTSS alpha+16(FP), Y0
	MOVQ n+24(FP), R8
	SHLQ $2, R8
	XORQ R10, R10
aloop:
	CMPQ R10, R8
	JGE  adone
	VMOVUPS (AX)(R10*1), Y1
	VFMADD231PS (BX)(R10*1), Y0, Y1
	VMOVUPS Y1, (AX)(R10*1)
	ADDQ $32, R10
	JMP  aloop
adone:
	VZEROUPPER
	RET
