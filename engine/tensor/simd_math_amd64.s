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

// PAIR8 sets d to [a.lo+a.hi | b.lo+b.hi] (256-bit halves), using Z24
// and Z25 as scratch.
#define PAIR8(a, b, d) \
	VSHUFF32X4 $0x44, b, a, Z24; \
	VSHUFF32X4 $0xEE, b, a, Z25; \
	VADDPS Z25, Z24, d

// QUAD4 sets d's quarters to the sums of the two quarters of each half of
// a and b as PAIR8 left them: [a0, a1, b0, b1] when a holds a0 then a1.
#define QUAD4(a, b, d) \
	VSHUFF32X4 $0x88, b, a, Z24; \
	VSHUFF32X4 $0xDD, b, a, Z25; \
	VADDPS Z25, Z24, d

// HADD sets d to the pairwise sums of a and b within each quarter:
// [a0+a1, a2+a3, b0+b1, b2+b3].
#define HADD(a, b, d) \
	VSHUFPS $0x88, b, a, Z24; \
	VSHUFPS $0xDD, b, a, Z25; \
	VADDPS Z25, Z24, d

// func dotF32x4xNAVX512(w *float32, wstride int, x *float32, xstride, n, groups int, out *float32, ostride int)
// out[v·ostride + i] = Σ_k w[i·wstride+k]·x[v·xstride+k] for four rows i
// of w and the 4·groups vectors v of x (strides in bytes), n a positive
// multiple of 16: per group of four vectors, each 16 columns take 8 loads
// for 16 fused multiply-adds into Z0-Z15 (row i, vector j in Z(4i+j)),
// whose lanes are then summed all together by a transposing tree (PAIR8,
// QUAD4, HADD) that leaves each vector's four rows in one quarter of Z24.
TEXT ·dotF32x4xNAVX512(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), R13
	MOVQ wstride+8(FP), R8
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R9
	MOVQ groups+40(FP), R12
	MOVQ out+48(FP), AX
	MOVQ ostride+56(FP), BX
	LEAQ (R8)(R8*2), R10
	LEAQ (R9)(R9*2), R11

f4ngroup:
	TESTQ R12, R12
	JEQ   f4ndone
	MOVQ  R13, SI
	MOVQ  DI, DX
	MOVQ  n+32(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15

f4nloop:
	VMOVUPS (SI), Z16
	VMOVUPS (SI)(R8*1), Z17
	VMOVUPS (SI)(R8*2), Z18
	VMOVUPS (SI)(R10*1), Z19
	VMOVUPS (DX), Z20
	VMOVUPS (DX)(R9*1), Z21
	VMOVUPS (DX)(R9*2), Z22
	VMOVUPS (DX)(R11*1), Z23
	VFMADD231PS Z20, Z16, Z0
	VFMADD231PS Z21, Z16, Z1
	VFMADD231PS Z22, Z16, Z2
	VFMADD231PS Z23, Z16, Z3
	VFMADD231PS Z20, Z17, Z4
	VFMADD231PS Z21, Z17, Z5
	VFMADD231PS Z22, Z17, Z6
	VFMADD231PS Z23, Z17, Z7
	VFMADD231PS Z20, Z18, Z8
	VFMADD231PS Z21, Z18, Z9
	VFMADD231PS Z22, Z18, Z10
	VFMADD231PS Z23, Z18, Z11
	VFMADD231PS Z20, Z19, Z12
	VFMADD231PS Z21, Z19, Z13
	VFMADD231PS Z22, Z19, Z14
	VFMADD231PS Z23, Z19, Z15
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JNZ  f4nloop

	PAIR8(Z0, Z1, Z16)
	PAIR8(Z2, Z3, Z17)
	PAIR8(Z4, Z5, Z18)
	PAIR8(Z6, Z7, Z19)
	PAIR8(Z8, Z9, Z20)
	PAIR8(Z10, Z11, Z21)
	PAIR8(Z12, Z13, Z22)
	PAIR8(Z14, Z15, Z23)
	QUAD4(Z16, Z17, Z26)         // row 0, vectors 0-3
	QUAD4(Z18, Z19, Z27)         // row 1
	QUAD4(Z20, Z21, Z28)         // row 2
	QUAD4(Z22, Z23, Z29)         // row 3
	HADD(Z26, Z27, Z30)
	HADD(Z28, Z29, Z31)
	HADD(Z30, Z31, Z24)          // quarter j: vector j, rows 0-3
	VMOVUPS X24, (AX)
	VEXTRACTF32X4 $1, Z24, (AX)(BX*1)
	LEAQ (AX)(BX*2), DX
	VEXTRACTF32X4 $2, Z24, (DX)
	VEXTRACTF32X4 $3, Z24, (DX)(BX*1)
	LEAQ (DI)(R9*4), DI
	LEAQ (AX)(BX*4), AX
	DECQ R12
	JMP  f4ngroup

f4ndone:
	VZEROUPPER
	RET

// func dotF32RowsAVX512(w, x *float32, n, nrows int, out *float32)
// out[r] = Σ_k w[r·n+k]·x[k] for the nrows rows of w, n a multiple of 16:
// one vector against many rows (a decode step's product) in one call,
// 64 columns at a time into four accumulators.
TEXT ·dotF32RowsAVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ out+32(FP), R13

f32rrow:
	CMPQ nrows+24(FP), $0
	JEQ  f32rdone
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

f32r64:
	CMPQ CX, $64
	JLT  f32r16
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  f32r64

f32r16:
	CMPQ CX, $16
	JLT  f32rsum
	VMOVUPS (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  f32r16

f32rsum:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (R13)
	ADDQ $4, R13
	DECQ nrows+24(FP)
	JMP  f32rrow

f32rdone:
	VZEROUPPER
	RET

DATA lanes0_4_8_12<>+0(SB)/8, $0x0000000400000000
DATA lanes0_4_8_12<>+8(SB)/8, $0x0000000c00000008
GLOBL lanes0_4_8_12<>(SB), RODATA|NOPTR, $64

// func attnScoresAVX512(q, k, v *float32, hd, n int, out *float32)
// out[i] = Σ_d q[d]·k[i·hd+d] for the n positions i of one head's keys
// (hd a positive multiple of 16), four positions at a time (their 16-lane
// sums reduced together), then one at a time. The keys and values of a
// head stream from memory, a few KB each, too short for the hardware
// prefetcher: the first 2 KB of keys are asked for at once, then keys
// 2 KB ahead, and each position's values as its key is read (the weighted
// sum reads them next).
TEXT ·attnScoresAVX512(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), R8
	MOVQ k+8(FP), SI
	MOVQ v+16(FP), DI
	MOVQ hd+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), AX
	MOVQ R9, R10
	SHLQ $2, R10                 // bytes per position
	LEAQ (R10)(R10*2), R11
	XORQ BX, BX

aswarm:
	PREFETCHT0 (SI)(BX*1)
	ADDQ $64, BX
	CMPQ BX, $2048
	JLT  aswarm

as4:
	CMPQ CX, $4
	JLT  as1
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R8, DX
	MOVQ R9, BX
	MOVQ SI, R12
	MOVQ DI, R13

as4d:
	PREFETCHT0 2048(R12)
	PREFETCHT0 2048(R12)(R10*1)
	PREFETCHT0 2048(R12)(R10*2)
	PREFETCHT0 2048(R12)(R11*1)
	PREFETCHT0 (R13)
	PREFETCHT0 (R13)(R10*1)
	PREFETCHT0 (R13)(R10*2)
	PREFETCHT0 (R13)(R11*1)
	VMOVUPS (DX), Z4
	VFMADD231PS (R12), Z4, Z0
	VFMADD231PS (R12)(R10*1), Z4, Z1
	VFMADD231PS (R12)(R10*2), Z4, Z2
	VFMADD231PS (R12)(R11*1), Z4, Z3
	ADDQ $64, DX
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $16, BX
	JNZ  as4d

	PAIR8(Z0, Z1, Z5)            // [position 0 | position 1], 8 lanes each
	PAIR8(Z2, Z3, Z6)            // [position 2 | position 3]
	QUAD4(Z5, Z6, Z7)            // quarter j: position j, 4 lanes
	HADD(Z7, Z7, Z8)
	HADD(Z8, Z8, Z9)             // lane 4j: position j's sum
	VMOVDQU64 lanes0_4_8_12<>(SB), Z10
	VPERMPS Z9, Z10, Z9
	VMOVUPS X9, (AX)
	LEAQ (SI)(R10*4), SI
	LEAQ (DI)(R10*4), DI
	ADDQ $16, AX
	SUBQ $4, CX
	JMP  as4

as1:
	TESTQ CX, CX
	JEQ   asdone
	VPXORD Z0, Z0, Z0
	MOVQ R8, DX
	MOVQ R9, BX

as1d:
	PREFETCHT0 (DI)
	VMOVUPS (DX), Z4
	VFMADD231PS (SI), Z4, Z0
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, BX
	JNZ  as1d
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (AX)
	ADDQ $4, AX
	DECQ CX
	JMP  as1

asdone:
	VZEROUPPER
	RET


// func toF16AVX2(dst *uint16, src *float32, n int)
// dst[i] = half(src[i]), rounded to nearest even, for n a multiple of 8.
TEXT ·toF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

th8:
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       th8
	VZEROUPPER
	RET

// func fromF16AVX2(dst *float32, src *uint16, n int)
// dst[i] = float32(src[i]) for n a multiple of 8.
TEXT ·fromF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

fh8:
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       fh8
	VZEROUPPER
	RET

// func weightedSumF16AVX2(out, p *float32, v *uint16, k, cols, stride int)
// weightedSumAVX2 with half-precision values: out[j] = Σ_i p[i]·v[i·stride+j]
// for j < cols (a multiple of 8), i < k (k ≥ 1; stride in bytes).
TEXT ·weightedSumF16AVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), SI
	MOVQ cols+32(FP), BX
	MOVQ stride+40(FP), R8

hw32:
	CMPQ BX, $32
	JLT  hw8
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

hw32pair:
	CMPQ CX, $2
	JLT  hw32one
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VCVTPH2PS (R9), Y10
	VCVTPH2PS 16(R9), Y11
	VCVTPH2PS 32(R9), Y12
	VCVTPH2PS 48(R9), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3
	VCVTPH2PS (R9)(R8*1), Y10
	VCVTPH2PS 16(R9)(R8*1), Y11
	VCVTPH2PS 32(R9)(R8*1), Y12
	VCVTPH2PS 48(R9)(R8*1), Y13
	VFMADD231PS Y10, Y9, Y4
	VFMADD231PS Y11, Y9, Y5
	VFMADD231PS Y12, Y9, Y6
	VFMADD231PS Y13, Y9, Y7
	LEAQ (R9)(R8*2), R9
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  hw32pair

hw32one:
	TESTQ CX, CX
	JEQ   hw32store
	VBROADCASTSS (DX), Y8
	VCVTPH2PS (R9), Y10
	VCVTPH2PS 16(R9), Y11
	VCVTPH2PS 32(R9), Y12
	VCVTPH2PS 48(R9), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3

hw32store:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $64, SI
	SUBQ $32, BX
	JMP  hw32

hw8:
	TESTQ BX, BX
	JEQ   hwdone
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	MOVQ p+8(FP), DX
	MOVQ k+24(FP), CX
	MOVQ SI, R9

hw8pair:
	CMPQ CX, $2
	JLT  hw8one
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VCVTPH2PS (R9), Y10
	VCVTPH2PS (R9)(R8*1), Y11
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y9, Y4
	LEAQ (R9)(R8*2), R9
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  hw8pair

hw8one:
	TESTQ CX, CX
	JEQ   hw8store
	VBROADCASTSS (DX), Y8
	VCVTPH2PS (R9), Y10
	VFMADD231PS Y10, Y8, Y0

hw8store:
	VADDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $16, SI
	SUBQ $8, BX
	JMP  hw8

hwdone:
	VZEROUPPER
	RET

// func attnScoresF16AVX512(q *float32, k, v *uint16, hd, n int, out *float32) float32
// attnScoresAVX512 with half-precision keys and values: out[i] =
// q·k[i·hd:(i+1)·hd] for n positions (hd a positive multiple of 16), four
// positions at a time, prefetching the keys ahead and each position's
// values; returns the largest out[i] (−∞ for none).
TEXT ·attnScoresF16AVX512(SB), NOSPLIT, $0-52
	MOVQ q+0(FP), R8
	MOVQ k+8(FP), SI
	MOVQ v+16(FP), DI
	MOVQ hd+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), AX
	MOVQ R9, R10
	SHLQ $1, R10                 // bytes per position
	LEAQ (R10)(R10*2), R11
	XORQ BX, BX
	MOVL $0xff800000, DX         // −∞
	VMOVD DX, X15
	VBROADCASTSS X15, X15        // the largest score so far, four lanes

hswarm:
	PREFETCHT0 (SI)(BX*1)
	ADDQ $64, BX
	CMPQ BX, $6144
	JLT  hswarm

hs4:
	CMPQ CX, $4
	JLT  hs1
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ R8, DX
	MOVQ R9, BX
	MOVQ SI, R12
	MOVQ DI, R13

hs4d:
	PREFETCHT0 6144(R12)
	PREFETCHT0 6144(R12)(R10*1)
	PREFETCHT0 6144(R12)(R10*2)
	PREFETCHT0 6144(R12)(R11*1)
	PREFETCHT0 (R13)
	PREFETCHT0 (R13)(R10*1)
	PREFETCHT0 (R13)(R10*2)
	PREFETCHT0 (R13)(R11*1)
	VMOVUPS (DX), Z4
	VCVTPH2PS (R12), Z5
	VCVTPH2PS (R12)(R10*1), Z6
	VCVTPH2PS (R12)(R10*2), Z7
	VCVTPH2PS (R12)(R11*1), Z8
	VFMADD231PS Z5, Z4, Z0
	VFMADD231PS Z6, Z4, Z1
	VFMADD231PS Z7, Z4, Z2
	VFMADD231PS Z8, Z4, Z3
	ADDQ $64, DX
	ADDQ $32, R12
	ADDQ $32, R13
	SUBQ $16, BX
	JNZ  hs4d

	PAIR8(Z0, Z1, Z5)            // [position 0 | position 1], 8 lanes each
	PAIR8(Z2, Z3, Z6)            // [position 2 | position 3]
	QUAD4(Z5, Z6, Z7)            // quarter j: position j, 4 lanes
	HADD(Z7, Z7, Z8)
	HADD(Z8, Z8, Z9)             // lane 4j: position j's sum
	VMOVDQU64 lanes0_4_8_12<>(SB), Z10
	VPERMPS Z9, Z10, Z9
	VMOVUPS X9, (AX)
	VMAXPS X9, X15, X15
	LEAQ (SI)(R10*4), SI
	LEAQ (DI)(R10*4), DI
	ADDQ $16, AX
	SUBQ $4, CX
	JMP  hs4

hs1:
	TESTQ CX, CX
	JEQ   hsdone
	VPXORD Z0, Z0, Z0
	MOVQ R8, DX
	MOVQ R9, BX

hs1d:
	PREFETCHT0 (DI)
	VMOVUPS (DX), Z4
	VCVTPH2PS (SI), Z5
	VFMADD231PS Z5, Z4, Z0
	ADDQ $64, DX
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $16, BX
	JNZ  hs1d
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (AX)
	VMAXSS X0, X15, X15
	ADDQ $4, AX
	DECQ CX
	JMP  hs1

hsdone:
	VSHUFPS $0x4e, X15, X15, X0
	VMAXPS X0, X15, X15
	VSHUFPS $0xb1, X15, X15, X0
	VMAXPS X0, X15, X15
	VMOVSS X15, ret+48(FP)
	VZEROUPPER
	RET
