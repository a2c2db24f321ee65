#include "textflag.h"

// Kernels for AVX2 + FMA (+ F16C for half-precision values). The Go side
// (simd_amd64.go) checks the CPU features before calling any of them and
// handles the tails that are not a whole number of vectors.

// func dotF32AVX2(w, x *float32, n int) float32
// Σ w[i]·x[i] for n a multiple of 8.
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f32loop32:
	CMPQ CX, $32
	JLT  f32loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f32loop32

f32loop8:
	CMPQ CX, $8
	JLT  f32done
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  f32loop8

f32done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF16AVX2(w *uint16, x *float32, n int) float32
// Σ half(w[i])·x[i] for n a multiple of 8.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f16loop32:
	CMPQ CX, $32
	JLT  f16loop8
	VCVTPH2PS (SI), Y4
	VCVTPH2PS 16(SI), Y5
	VCVTPH2PS 32(SI), Y6
	VCVTPH2PS 48(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  f16loop32

f16loop8:
	CMPQ CX, $8
	JLT  f16done
	VCVTPH2PS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  f16loop8

f16done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $16

DATA nib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nib<>(SB), RODATA|NOPTR, $16

DATA eights<>+0(SB)/8, $0x0808080808080808
DATA eights<>+8(SB)/8, $0x0808080808080808
GLOBL eights<>(SB), RODATA|NOPTR, $16

// func dotQ8_0AVX2(row *byte, q *int8, d *float32, nb int) float32
// Σ over nb Q8_0 blocks of row (34 bytes: f16 scale, 32 int8) against the
// activations quantized to Q8_0 (q: 32 int8 per block, d: one float32
// scale per block): Σ_b dw_b·dx_b·Σ_j w_bj·q_bj, the integer sums exact.
// |w| ≤ 128 and |q| ≤ 127, so VPMADDUBSW's pair sums fit in int16.
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VBROADCASTI128 ones16<>(SB), Y15

q8loop:
	TESTQ CX, CX
	JEQ   q8done
	MOVWLZX (SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VMULSS (DX), X5, X5
	VBROADCASTSS X5, Y5
	VMOVDQU 2(SI), Y1
	VMOVDQU (DI), Y2
	VPSIGNB Y1, Y1, Y3
	VPSIGNB Y1, Y2, Y4
	VPMADDUBSW Y4, Y3, Y3
	VPMADDWD Y15, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VFMADD231PS Y5, Y3, Y0
	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q8loop

q8done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func dotQ4_0AVX2(row *byte, q *int8, d *float32, nb int) float32
// As dotQ8_0AVX2 for Q4_0 rows (18 bytes: f16 scale, 16 bytes of nibbles;
// low nibble j is element j, high nibble element j+16, each minus 8).
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-36
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VBROADCASTI128 ones16<>(SB), Y15
	VBROADCASTI128 nib<>(SB), Y14
	VBROADCASTI128 eights<>(SB), Y13

q4loop:
	TESTQ CX, CX
	JEQ   q4done
	MOVWLZX (SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VMULSS (DX), X5, X5
	VBROADCASTSS X5, Y5
	VMOVDQU 2(SI), X1
	VPSRLW $4, X1, X2
	VINSERTI128 $1, X2, Y1, Y1
	VPAND Y14, Y1, Y1
	VPSUBB Y13, Y1, Y1
	VMOVDQU (DI), Y2
	VPSIGNB Y1, Y1, Y3
	VPSIGNB Y1, Y2, Y4
	VPMADDUBSW Y4, Y3, Y3
	VPMADDWD Y15, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VFMADD231PS Y5, Y3, Y0
	ADDQ $18, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q4loop

q4done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func sumsQ4KAVX2(row *byte, q *int8, nb int, out *int32)
// For each of nb Q4_K blocks (144 bytes: d, dmin, 12 bytes of scales, 128
// bytes of nibbles) and the matching 256 Q8_K activation quants, writes
// the 8 integer sums Σ nibble·q of its 32-element sub-blocks, in order.
// Nibbles ≤ 15 and |q| ≤ 128, so VPMADDUBSW's pair sums fit in int16.
TEXT ·sumsQ4KAVX2(SB), NOSPLIT, $0-32
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ out+24(FP), DX
	VBROADCASTI128 ones16<>(SB), Y15
	VBROADCASTI128 nib<>(SB), Y14

q4kloop:
	TESTQ CX, CX
	JEQ   q4kdone
	VMOVDQU 16(SI), Y8
	VPSRLW $4, Y8, Y9
	VPAND Y14, Y8, Y8
	VPAND Y14, Y9, Y9
	VPMADDUBSW (DI), Y8, Y0
	VPMADDUBSW 32(DI), Y9, Y1
	VMOVDQU 48(SI), Y8
	VPSRLW $4, Y8, Y9
	VPAND Y14, Y8, Y8
	VPAND Y14, Y9, Y9
	VPMADDUBSW 64(DI), Y8, Y2
	VPMADDUBSW 96(DI), Y9, Y3
	VMOVDQU 80(SI), Y8
	VPSRLW $4, Y8, Y9
	VPAND Y14, Y8, Y8
	VPAND Y14, Y9, Y9
	VPMADDUBSW 128(DI), Y8, Y4
	VPMADDUBSW 160(DI), Y9, Y5
	VMOVDQU 112(SI), Y8
	VPSRLW $4, Y8, Y9
	VPAND Y14, Y8, Y8
	VPAND Y14, Y9, Y9
	VPMADDUBSW 192(DI), Y8, Y6
	VPMADDUBSW 224(DI), Y9, Y7
	VPMADDWD Y15, Y0, Y0
	VPMADDWD Y15, Y1, Y1
	VPMADDWD Y15, Y2, Y2
	VPMADDWD Y15, Y3, Y3
	VPMADDWD Y15, Y4, Y4
	VPMADDWD Y15, Y5, Y5
	VPMADDWD Y15, Y6, Y6
	VPMADDWD Y15, Y7, Y7
	// Horizontal sums: after two VPHADDDs each 128-bit lane holds the
	// partial sums of four vectors; adding the lanes finishes them.
	VPHADDD Y1, Y0, Y0
	VPHADDD Y3, Y2, Y2
	VPHADDD Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VMOVDQU X0, (DX)
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VPHADDD Y6, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD X5, X4, X4
	VMOVDQU X4, 16(DX)
	ADDQ $144, SI
	ADDQ $256, DI
	ADDQ $32, DX
	DECQ CX
	JMP  q4kloop

q4kdone:
	VZEROUPPER
	RET

DATA three<>+0(SB)/8, $0x0303030303030303
DATA three<>+8(SB)/8, $0x0303030303030303
GLOBL three<>(SB), RODATA|NOPTR, $16

DATA x30<>+0(SB)/8, $0x3030303030303030
DATA x30<>+8(SB)/8, $0x3030303030303030
GLOBL x30<>(SB), RODATA|NOPTR, $16

// func sumsQ6KAVX2(row *byte, q *int8, nb int, out *int32)
// For each of nb Q6_K blocks (128 bytes of low nibbles, 64 of high bit
// pairs, 16 int8 scales, f16 d) and the matching 256 Q8_K quants, writes
// the 16 integer sums Σ u·q over its 16-element sub-blocks, u the unsigned
// 6-bit quant (0..63, the value being u−32), in the order
// 0,2,4,6,1,3,5,7, 8,10,12,14,9,11,13,15. u ≤ 63 and |q| ≤ 128 keep
// VPMADDUBSW's pair sums within int16.
TEXT ·sumsQ6KAVX2(SB), NOSPLIT, $0-32
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ out+24(FP), DX
	VBROADCASTI128 ones16<>(SB), Y15
	VBROADCASTI128 nib<>(SB), Y14
	VBROADCASTI128 three<>(SB), Y13
	VBROADCASTI128 x30<>(SB), Y12

q6kloop:
	TESTQ CX, CX
	JEQ   q6kdone
	// First 128 values: ql[0:64], qh[0:32].
	VMOVDQU (SI), Y8
	VMOVDQU 32(SI), Y9
	VMOVDQU 128(SI), Y10
	VPAND Y14, Y8, Y0
	VPAND Y13, Y10, Y11
	VPSLLW $4, Y11, Y11
	VPOR Y11, Y0, Y0
	VPAND Y14, Y9, Y1
	VPSLLW $2, Y10, Y11
	VPAND Y12, Y11, Y11
	VPOR Y11, Y1, Y1
	VPSRLW $4, Y8, Y2
	VPAND Y14, Y2, Y2
	VPAND Y12, Y10, Y11
	VPOR Y11, Y2, Y2
	VPSRLW $4, Y9, Y3
	VPAND Y14, Y3, Y3
	VPSRLW $2, Y10, Y11
	VPAND Y12, Y11, Y11
	VPOR Y11, Y3, Y3
	VPMADDUBSW (DI), Y0, Y0
	VPMADDUBSW 32(DI), Y1, Y1
	VPMADDUBSW 64(DI), Y2, Y2
	VPMADDUBSW 96(DI), Y3, Y3
	// Second 128 values: ql[64:128], qh[32:64].
	VMOVDQU 64(SI), Y8
	VMOVDQU 96(SI), Y9
	VMOVDQU 160(SI), Y10
	VPAND Y14, Y8, Y4
	VPAND Y13, Y10, Y11
	VPSLLW $4, Y11, Y11
	VPOR Y11, Y4, Y4
	VPAND Y14, Y9, Y5
	VPSLLW $2, Y10, Y11
	VPAND Y12, Y11, Y11
	VPOR Y11, Y5, Y5
	VPSRLW $4, Y8, Y6
	VPAND Y14, Y6, Y6
	VPAND Y12, Y10, Y11
	VPOR Y11, Y6, Y6
	VPSRLW $4, Y9, Y7
	VPAND Y14, Y7, Y7
	VPSRLW $2, Y10, Y11
	VPAND Y12, Y11, Y11
	VPOR Y11, Y7, Y7
	VPMADDUBSW 128(DI), Y4, Y4
	VPMADDUBSW 160(DI), Y5, Y5
	VPMADDUBSW 192(DI), Y6, Y6
	VPMADDUBSW 224(DI), Y7, Y7
	VPMADDWD Y15, Y0, Y0
	VPMADDWD Y15, Y1, Y1
	VPMADDWD Y15, Y2, Y2
	VPMADDWD Y15, Y3, Y3
	VPMADDWD Y15, Y4, Y4
	VPMADDWD Y15, Y5, Y5
	VPMADDWD Y15, Y6, Y6
	VPMADDWD Y15, Y7, Y7
	VPHADDD Y1, Y0, Y0
	VPHADDD Y3, Y2, Y2
	VPHADDD Y2, Y0, Y0
	VMOVDQU Y0, (DX)
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VPHADDD Y6, Y4, Y4
	VMOVDQU Y4, 32(DX)
	ADDQ $210, SI
	ADDQ $256, DI
	ADDQ $64, DX
	DECQ CX
	JMP  q6kloop

q6kdone:
	VZEROUPPER
	RET
