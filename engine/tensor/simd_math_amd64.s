#include "textflag.h"

// Vector math kernels (see math.go) for AVX2 + FMA.

#define SPLAT(name, bits) \
	DATA name<>+0(SB)/4, bits; \
	DATA name<>+4(SB)/4, bits; \
	DATA name<>+8(SB)/4, bits; \
	DATA name<>+12(SB)/4, bits; \
	DATA name<>+16(SB)/4, bits; \
	DATA name<>+20(SB)/4, bits; \
	DATA name<>+24(SB)/4, bits; \
	DATA name<>+28(SB)/4, bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

SPLAT(expHi, $0x42b00000)
SPLAT(expLo, $0xc2ae0000)
SPLAT(log2e, $0x3fb8aa3b)
SPLAT(expC1, $0x3f318000)
SPLAT(expC2, $0xb95e8083)
SPLAT(expP0, $0x39506967)
SPLAT(expP1, $0x3ab743ce)
SPLAT(expP2, $0x3c088908)
SPLAT(expP3, $0x3d2aa9c1)
SPLAT(expP4, $0x3e2aaaaa)
SPLAT(expP5, $0x3f000000)
SPLAT(one, $0x3f800000)

// EXP8 sets x = e^x for the eight values of Y register x (math.go's Exp),
// using t1 and t2 as scratch.
#define EXP8(x, t1, t2) \
	VMINPS expHi<>(SB), x, x; \
	VMAXPS expLo<>(SB), x, x; \
	VMULPS log2e<>(SB), x, t1; \
	VROUNDPS $0, t1, t1; \
	VFNMADD231PS expC1<>(SB), t1, x; \
	VFNMADD231PS expC2<>(SB), t1, x; \
	VMOVUPS expP0<>(SB), t2; \
	VFMADD213PS expP1<>(SB), x, t2; \
	VFMADD213PS expP2<>(SB), x, t2; \
	VFMADD213PS expP3<>(SB), x, t2; \
	VFMADD213PS expP4<>(SB), x, t2; \
	VFMADD213PS expP5<>(SB), x, t2; \
	VCVTPS2DQ t1, t1; \
	VPSLLD $23, t1, t1; \
	VMULPS x, x, Y15; \
	VFMADD213PS x, Y15, t2; \
	VADDPS one<>(SB), t2, t2; \
	VPADDD t1, t2, x

// func expSumAVX2(x *float32, n int, m float32) float32
// x[i] = e^(x[i]−m) for n a multiple of 8; returns their sum.
TEXT ·expSumAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y14
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

expsum16:
	CMPQ CX, $16
	JLT  expsum8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y3
	VSUBPS Y14, Y0, Y0
	VSUBPS Y14, Y3, Y3
	EXP8(Y0, Y1, Y2)
	EXP8(Y3, Y4, Y5)
	VMOVUPS Y0, (SI)
	VMOVUPS Y3, 32(SI)
	VADDPS Y0, Y10, Y10
	VADDPS Y3, Y11, Y11
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  expsum16

expsum8:
	TESTQ CX, CX
	JEQ   expsumdone
	VMOVUPS (SI), Y0
	VSUBPS Y14, Y0, Y0
	EXP8(Y0, Y1, Y2)
	VMOVUPS Y0, (SI)
	VADDPS Y0, Y10, Y10

expsumdone:
	VADDPS Y11, Y10, Y10
	VEXTRACTF128 $1, Y10, X11
	VADDPS X11, X10, X10
	VHADDPS X10, X10, X10
	VHADDPS X10, X10, X10
	MOVSS X10, ret+24(FP)
	VZEROUPPER
	RET

// func siluMulAVX2(gate, up *float32, n int)
// gate[i] = gate[i]/(1+e^(−gate[i]))·up[i] for n a multiple of 8.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), DI
	MOVQ up+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y13, Y13, Y13
	VMOVUPS one<>(SB), Y12

siluloop:
	TESTQ CX, CX
	JEQ   siludone
	VMOVUPS (DI), Y3
	VSUBPS Y3, Y13, Y0
	EXP8(Y0, Y1, Y2)
	VADDPS Y12, Y0, Y0
	VDIVPS Y0, Y3, Y3
	VMULPS (SI), Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  siluloop

siludone:
	VZEROUPPER
	RET

// func weightedSumAVX2(out, p, v *float32, k, cols, stride int)
// out[j] = Σ_i p[i]·v[i·stride+j] for j < cols (a multiple of 8), i < k
// (k ≥ 1; stride in bytes): 32 columns at a time, rows in pairs summed
// apart, then 8 at a time.
TEXT ·weightedSumAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), SI
	MOVQ cols+32(FP), BX
	MOVQ stride+40(FP), R8

ws32:
	CMPQ BX, $32
	JLT  ws8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ p+8(FP), DX
	MOVQ k+24(FP), CX
	MOVQ SI, R9

ws32pair:
	CMPQ CX, $2
	JLT  ws32one
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y8, Y1
	VFMADD231PS 64(R9), Y8, Y2
	VFMADD231PS 96(R9), Y8, Y3
	VFMADD231PS (R9)(R8*1), Y9, Y4
	VFMADD231PS 32(R9)(R8*1), Y9, Y5
	VFMADD231PS 64(R9)(R8*1), Y9, Y6
	VFMADD231PS 96(R9)(R8*1), Y9, Y7
	LEAQ (R9)(R8*2), R9
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  ws32pair

ws32one:
	TESTQ CX, CX
	JEQ   ws32store
	VBROADCASTSS (DX), Y8
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y8, Y1
	VFMADD231PS 64(R9), Y8, Y2
	VFMADD231PS 96(R9), Y8, Y3

ws32store:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, BX
	JMP  ws32

ws8:
	TESTQ BX, BX
	JEQ   wsdone
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	MOVQ p+8(FP), DX
	MOVQ k+24(FP), CX
	MOVQ SI, R9

ws8pair:
	CMPQ CX, $2
	JLT  ws8one
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS (R9)(R8*1), Y9, Y4
	LEAQ (R9)(R8*2), R9
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  ws8pair

ws8one:
	TESTQ CX, CX
	JEQ   ws8store
	VBROADCASTSS (DX), Y8
	VFMADD231PS (R9), Y8, Y0

ws8store:
	VADDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, BX
	JMP  ws8

wsdone:
	VZEROUPPER
	RET

// func sumAVX2(x *float32, n int) float32
// Σ x[i] for n a multiple of 64, in eight accumulators: a streaming read.
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

sumloop:
	TESTQ CX, CX
	JEQ   sumdone
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  sumloop

sumdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
