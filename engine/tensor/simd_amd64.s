#include "textflag.h"
#include "kquant_amd64.h"

// The four-vector K-quant kernels' body (see dotQ4Kx4AVX2 below), here
// before the first TEXT so that vet reads their argument names as theirs.

// kx4Body is the body of the four-vector K-quant kernels: decode each
// block of bb bytes with decode, then add each vector's share with vec.
#define kx4Body(loop, done, decode, vec, bb) \
	MOVQ row+0(FP), SI; \
	MOVQ q+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ bsum+24(FP), R9; \
	MOVQ nb+32(FP), CX; \
	MOVQ scratch+72(FP), R13; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VXORPS Y12, Y12, Y12; \
	VXORPS Y13, Y13, Y13; \
	VBROADCASTI128 ones16<>(SB), Y15; \
	VBROADCASTI128 nib<>(SB), Y14; \
loop:; \
	TESTQ CX, CX; \
	JEQ   done; \
	decode; \
	MOVQ DI, R10; \
	MOVQ DX, R11; \
	MOVQ R9, R12; \
	vec(R10, R11, R12, Y10); \
	ADDQ qstride+40(FP), R10; \
	ADDQ dstride+48(FP), R11; \
	ADDQ bstride+56(FP), R12; \
	vec(R10, R11, R12, Y11); \
	ADDQ qstride+40(FP), R10; \
	ADDQ dstride+48(FP), R11; \
	ADDQ bstride+56(FP), R12; \
	vec(R10, R11, R12, Y12); \
	ADDQ qstride+40(FP), R10; \
	ADDQ dstride+48(FP), R11; \
	ADDQ bstride+56(FP), R12; \
	vec(R10, R11, R12, Y13); \
	ADDQ $bb, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $64, R9; \
	DECQ CX; \
	JMP  loop; \
done:; \
	MOVQ out+64(FP), AX; \
	hsumOut(Y10, X10, 0); \
	hsumOut(Y11, X11, 4); \
	hsumOut(Y12, X12, 8); \
	hsumOut(Y13, X13, 12); \
	VZEROUPPER; \
	RET


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

// func dotQ8_0RowsAVX2(rows *byte, q *int8, d *float32, nb, nrows int, out *float32)
// out[r] = Σ over the nb Q8_0 blocks of row r of rows (34 bytes: f16
// scale, 32 int8; the rows one after another) against the activations
// quantized to Q8_0 (q: 32 int8 per block, d: one float32 scale per
// block): Σ_b dw_b·dx_b·Σ_j w_bj·q_bj, the integer sums exact.
// |w| ≤ 128 and |q| ≤ 127, so VPMADDUBSW's pair sums fit in int16.
TEXT ·dotQ8_0RowsAVX2(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), SI
	MOVQ out+40(FP), R13
	VBROADCASTI128 ones16<>(SB), Y15

q8row:
	CMPQ nrows+32(FP), $0
	JEQ  q8rowsdone
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y6, Y6, Y6

	// Two blocks per iteration into two accumulators, so that one
	// block's FMA does not wait for the other's.
q8loop2:
	CMPQ CX, $2
	JLT  q8loop
	PREFETCHT0 2048(SI)          // the rows stream from memory
	PREFETCHT0 2112(SI)
	MOVWLZX (SI), AX
	MOVWLZX 34(SI), BX
	VMOVD AX, X5
	VPINSRW $1, BX, X5, X5
	VCVTPH2PS X5, X5
	VMOVSD (DX), X7
	VMULPS X7, X5, X5
	VBROADCASTSS X5, Y7
	VPSHUFD $0x55, X5, X12
	VINSERTI128 $1, X12, Y12, Y12
	VMOVDQU 2(SI), Y1
	VMOVDQU (DI), Y2
	VPSIGNB Y1, Y1, Y3
	VPSIGNB Y1, Y2, Y4
	VPMADDUBSW Y4, Y3, Y3
	VPMADDWD Y15, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VFMADD231PS Y7, Y3, Y0
	VMOVDQU 36(SI), Y8
	VMOVDQU 32(DI), Y9
	VPSIGNB Y8, Y8, Y10
	VPSIGNB Y8, Y9, Y11
	VPMADDUBSW Y11, Y10, Y10
	VPMADDWD Y15, Y10, Y10
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y12, Y10, Y6
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP  q8loop2

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
	VADDPS Y6, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	MOVSS X0, (R13)
	ADDQ $4, R13
	DECQ nrows+32(FP)
	JMP  q8row

q8rowsdone:
	VZEROUPPER
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

DATA three<>+0(SB)/8, $0x0303030303030303
DATA three<>+8(SB)/8, $0x0303030303030303
GLOBL three<>(SB), RODATA|NOPTR, $16

DATA x30<>+0(SB)/8, $0x3030303030303030
DATA x30<>+8(SB)/8, $0x3030303030303030
GLOBL x30<>(SB), RODATA|NOPTR, $16


// func dotQ8_0x4AVX2(row *byte, q *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
// dotQ8_0AVX2 of one row against four activation vectors at once, vector
// v's quants at q+v·qstride and scales at d+v·dstride (bytes): each
// weight block is loaded and its signs taken once for the four.
TEXT ·dotQ8_0x4AVX2(SB), NOSPLIT, $0-56
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R8
	MOVQ dstride+40(FP), R9
	LEAQ (R8)(R8*2), R10 // 3·qstride
	LEAQ (R9)(R9*2), R11 // 3·dstride
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VBROADCASTI128 ones16<>(SB), Y15

q8x4loop:
	TESTQ CX, CX
	JEQ   q8x4done
	MOVWLZX (SI), AX
	VMOVD AX, X4
	VCVTPH2PS X4, X4
	VBROADCASTSS X4, Y4          // weight scale
	VMOVDQU 2(SI), Y5
	VPSIGNB Y5, Y5, Y6           // |w|

	VMOVDQU (DI), Y7
	VPSIGNB Y5, Y7, Y7
	VPMADDUBSW Y7, Y6, Y7
	VPMADDWD Y15, Y7, Y7
	VCVTDQ2PS Y7, Y7
	VBROADCASTSS (DX), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y0

	VMOVDQU (DI)(R8*1), Y7
	VPSIGNB Y5, Y7, Y7
	VPMADDUBSW Y7, Y6, Y7
	VPMADDWD Y15, Y7, Y7
	VCVTDQ2PS Y7, Y7
	VBROADCASTSS (DX)(R9*1), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y1

	VMOVDQU (DI)(R8*2), Y7
	VPSIGNB Y5, Y7, Y7
	VPMADDUBSW Y7, Y6, Y7
	VPMADDWD Y15, Y7, Y7
	VCVTDQ2PS Y7, Y7
	VBROADCASTSS (DX)(R9*2), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y2

	VMOVDQU (DI)(R10*1), Y7
	VPSIGNB Y5, Y7, Y7
	VPMADDUBSW Y7, Y6, Y7
	VPMADDWD Y15, Y7, Y7
	VCVTDQ2PS Y7, Y7
	VBROADCASTSS (DX)(R11*1), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y3

	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q8x4loop

q8x4done:
	MOVQ out+48(FP), AX
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// func dotQ4KAVX2(row *byte, q *int8, d *float32, bsum *int32, nb int) float32
// The whole Q4_K dot product on Q8_K activations (q, d, and bsum: the sum
// of every 16 quants): per block, the 8 sub-block sums S_j of nibble·q
// (nibble ≤ 15 and |q| ≤ 128 keep VPMADDUBSW's pair sums in int16), then d·dx·Σ sc_j·S_j − dmin·dx·Σ m_j·(Σq over
// sub-block j), with the 6-bit scales sc and minimums m unpacked here as
// unpackScalesK4 does.
TEXT ·dotQ4KAVX2(SB), NOSPLIT, $0-44
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ bsum+24(FP), R9
	MOVQ nb+32(FP), CX
	VXORPS Y13, Y13, Y13
	VBROADCASTI128 ones16<>(SB), Y15
	VBROADCASTI128 nib<>(SB), Y14

dq4kloop:
	TESTQ CX, CX
	JEQ   dq4kdone
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
	// S = [S0..S7] in Y1.
	VPHADDD Y1, Y0, Y0
	VPHADDD Y3, Y2, Y2
	VPHADDD Y2, Y0, Y0
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VPHADDD Y6, Y4, Y4
	VPERM2I128 $0x20, Y4, Y0, Y1
	VPERM2I128 $0x31, Y4, Y0, Y2
	VPADDD Y2, Y1, Y1

	// Scales and minimums, one byte per sub-block.
	q4kScaleBytes
	VMOVD R10, X8
	VPINSRD $1, R11, X8, X8
	VPMOVZXBD X8, Y8
	q4kMinBytes
	VMOVD R10, X9
	VPINSRD $1, R11, X9, X9
	VPMOVZXBD X9, Y9

	// d·dx in Y10, dmin·dx in Y11.
	MOVL (SI), AX
	VMOVD AX, X10
	VCVTPH2PS X10, X10
	VBROADCASTSS (DX), X11
	VMULPS X11, X10, X10
	VPSHUFD $0x55, X10, X11
	VINSERTI128 $1, X11, Y11, Y11
	VBROADCASTSS X10, Y10

	VPMULLD Y8, Y1, Y1
	VCVTDQ2PS Y1, Y1
	VFMADD231PS Y10, Y1, Y13
	// Σq per sub-block: pairs of the 16-quant sums, back in order.
	VMOVDQU (R9), Y2
	VMOVDQU 32(R9), Y3
	VPHADDD Y3, Y2, Y2
	VPERMQ $0xD8, Y2, Y2
	VPMULLD Y9, Y2, Y2
	VCVTDQ2PS Y2, Y2
	VFNMADD231PS Y11, Y2, Y13

	ADDQ $144, SI
	ADDQ $256, DI
	ADDQ $4, DX
	ADDQ $64, R9
	DECQ CX
	JMP  dq4kloop

dq4kdone:
	VEXTRACTF128 $1, Y13, X1
	VADDPS X1, X13, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+40(FP)
	RET

DATA three32<>+0(SB)/8, $0x0303030303030303
DATA three32<>+8(SB)/8, $0x0303030303030303
DATA three32<>+16(SB)/8, $0x0303030303030303
DATA three32<>+24(SB)/8, $0x0303030303030303
GLOBL three32<>(SB), RODATA|NOPTR, $32

DATA q6perm<>+0(SB)/8, $0x0705030106040200
DATA q6perm<>+8(SB)/8, $0x0f0d0b090e0c0a08
GLOBL q6perm<>(SB), RODATA|NOPTR, $16

// func dotQ6KAVX2(row *byte, q *int8, d *float32, bsum *int32, nb int) float32
// The whole Q6_K dot product on Q8_K activations: per block,
// d·dx·(Σ sc_i·S_i − 32·Σ sc_i·(Σq over sub-block i)), S_i the sums of
// u·q over the 16-element sub-blocks (u the unsigned 6-bit quant, 0..63,
// so VPMADDUBSW's pair sums fit int16), which the horizontal sums leave in
// q6Order: the scales are shuffled into that order to meet them.
TEXT ·dotQ6KAVX2(SB), NOSPLIT, $0-44
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), R8
	MOVQ bsum+24(FP), R9
	MOVQ nb+32(FP), CX
	VXORPS Y13, Y13, Y13
	VBROADCASTI128 ones16<>(SB), Y15
	VBROADCASTI128 nib<>(SB), Y14
	VBROADCASTI128 x30<>(SB), Y12

dq6kloop:
	TESTQ CX, CX
	JEQ   dq6kdone
	// First 128 values: ql[0:64], qh[0:32].
	VMOVDQU (SI), Y8
	VMOVDQU 32(SI), Y9
	VMOVDQU 128(SI), Y10
	VPAND Y14, Y8, Y0
	VPAND three32<>(SB), Y10, Y11
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
	VPAND three32<>(SB), Y10, Y11
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
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VPHADDD Y6, Y4, Y4
	// Σ sc·S with the scales in the sums' order.
	VMOVDQU 192(SI), X8
	VPSHUFB q6perm<>(SB), X8, X9
	VPMOVSXBD X9, Y10
	VPSRLDQ $8, X9, X11
	VPMOVSXBD X11, Y11
	VPMULLD Y10, Y0, Y0
	VPMULLD Y11, Y4, Y4
	VPADDD Y4, Y0, Y0
	// − 32·Σ sc·Σq in natural order.
	VPMOVSXBD X8, Y10
	VPSRLDQ $8, X8, X11
	VPMOVSXBD X11, Y11
	VPMULLD (R9), Y10, Y10
	VPMULLD 32(R9), Y11, Y11
	VPADDD Y11, Y10, Y10
	VPSLLD $5, Y10, Y10
	VPSUBD Y10, Y0, Y0
	VCVTDQ2PS Y0, Y0
	MOVWLZX 208(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS (R8), X8, X8
	VBROADCASTSS X8, Y8
	VFMADD231PS Y8, Y0, Y13
	ADDQ $210, SI
	ADDQ $256, DI
	ADDQ $4, R8
	ADDQ $64, R9
	DECQ CX
	JMP  dq6kloop

dq6kdone:
	VEXTRACTF128 $1, Y13, X1
	VADDPS X1, X13, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+40(FP)
	RET

// func dotF32x4AVX2(w, x *float32, n, stride int, out *[4]float32)
// out[v] = Σ w[i]·x[v·stride+i] for v < 4, n a multiple of 8 (stride in
// bytes): each 8 weights are loaded once for the four vectors.
TEXT ·dotF32x4AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ stride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

f32x4loop:
	CMPQ CX, $8
	JLT  f32x4done
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS (DI)(R8*1), Y4, Y1
	VFMADD231PS (DI)(R8*2), Y4, Y2
	VFMADD231PS (DI)(R9*1), Y4, Y3
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  f32x4loop

f32x4done:
	MOVQ out+32(FP), AX
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// The four-vector K-quant kernels below decode each weight block once into
// a scratch buffer (R13) and then run the one-vector kernel's arithmetic
// for each of four activation vectors, vector v's accumulator in Y10+v:
// every float operation is the one-vector kernel's, in its order, so the
// results are bit-identical to it. Vector v's quants are at q+v·qstride,
// its scales at d+v·dstride and its 16-quant sums at bsum+v·bstride
// (strides in bytes).

// kprods sets Y0-Y7 to the int32 sums of each 4 adjacent products of
// the decoded weights at 0(R13) (unsigned) and the quants at qp (signed):
// VPMADDUBSW and VPMADDWD here, VPDPBUSD in the VNNI kernels below.
#define kprods(qp) \
	VMOVDQU 0(R13), Y8; VPMADDUBSW 0(qp), Y8, Y0; \
	VMOVDQU 32(R13), Y8; VPMADDUBSW 32(qp), Y8, Y1; \
	VMOVDQU 64(R13), Y8; VPMADDUBSW 64(qp), Y8, Y2; \
	VMOVDQU 96(R13), Y8; VPMADDUBSW 96(qp), Y8, Y3; \
	VMOVDQU 128(R13), Y8; VPMADDUBSW 128(qp), Y8, Y4; \
	VMOVDQU 160(R13), Y8; VPMADDUBSW 160(qp), Y8, Y5; \
	VMOVDQU 192(R13), Y8; VPMADDUBSW 192(qp), Y8, Y6; \
	VMOVDQU 224(R13), Y8; VPMADDUBSW 224(qp), Y8, Y7; \
	VPMADDWD Y15, Y0, Y0; VPMADDWD Y15, Y1, Y1; \
	VPMADDWD Y15, Y2, Y2; VPMADDWD Y15, Y3, Y3; \
	VPMADDWD Y15, Y4, Y4; VPMADDWD Y15, Y5, Y5; \
	VPMADDWD Y15, Y6, Y6; VPMADDWD Y15, Y7, Y7

// q4kDecode writes the Q4_K block at SI to the scratch buffer (R13) in
// the layout q4kVec reads, unpacking the scales as dotQ4KAVX2 does.
#define q4kDecode \
	VMOVDQU 16(SI), Y8; \
	VPSRLW $4, Y8, Y9; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VMOVDQU Y8, 0(R13); \
	VMOVDQU Y9, 32(R13); \
	VMOVDQU 48(SI), Y8; \
	VPSRLW $4, Y8, Y9; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VMOVDQU Y8, 64(R13); \
	VMOVDQU Y9, 96(R13); \
	VMOVDQU 80(SI), Y8; \
	VPSRLW $4, Y8, Y9; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VMOVDQU Y8, 128(R13); \
	VMOVDQU Y9, 160(R13); \
	VMOVDQU 112(SI), Y8; \
	VPSRLW $4, Y8, Y9; \
	VPAND Y14, Y8, Y8; \
	VPAND Y14, Y9, Y9; \
	VMOVDQU Y8, 192(R13); \
	VMOVDQU Y9, 224(R13); \
	q4kScaleBytes; \
	VMOVD R10, X8; \
	VPINSRD $1, R11, X8, X8; \
	VPMOVZXBD X8, Y8; \
	VMOVDQU Y8, 256(R13); \
	q4kMinBytes; \
	VMOVD R10, X9; \
	VPINSRD $1, R11, X9, X9; \
	VPMOVZXBD X9, Y9; \
	VMOVDQU Y9, 288(R13); \
	MOVL (SI), AX; \
	VMOVD AX, X8; \
	VCVTPH2PS X8, X8; \
	VMOVQ X8, 320(R13)

// q4kVec adds one vector's share of a decoded Q4_K block to acc: weights
// (nibbles) at 0(R13), scales and minimums as int32 at 256 and 288, the
// f32 d and dmin at 320.
#define q4kVec(qp, dp, bp, acc) \
	kprods(qp); \
	VPHADDD Y1, Y0, Y0; VPHADDD Y3, Y2, Y2; VPHADDD Y2, Y0, Y0; \
	VPHADDD Y5, Y4, Y4; VPHADDD Y7, Y6, Y6; VPHADDD Y6, Y4, Y4; \
	VPERM2I128 $0x20, Y4, Y0, Y1; VPERM2I128 $0x31, Y4, Y0, Y2; \
	VPADDD Y2, Y1, Y1; \
	VMOVQ 320(R13), X8; VBROADCASTSS (dp), X9; VMULPS X9, X8, X8; \
	VPSHUFD $0x55, X8, X9; VINSERTI128 $1, X9, Y9, Y9; VBROADCASTSS X8, Y8; \
	VPMULLD 256(R13), Y1, Y1; VCVTDQ2PS Y1, Y1; VFMADD231PS Y8, Y1, acc; \
	VMOVDQU (bp), Y2; VMOVDQU 32(bp), Y3; VPHADDD Y3, Y2, Y2; VPERMQ $0xD8, Y2, Y2; \
	VPMULLD 288(R13), Y2, Y2; VCVTDQ2PS Y2, Y2; VFNMADD231PS Y9, Y2, acc

// hsumOut stores the horizontal sum of acc to off(AX) as the one-vector
// kernels do.
#define hsumOut(acc, xacc, off) \
	VEXTRACTF128 $1, acc, X1; VADDPS X1, xacc, X0; \
	VHADDPS X0, X0, X0; VHADDPS X0, X0, X0; VMOVSS X0, off(AX)

// func dotQ4Kx4AVX2(row *byte, q *int8, d *float32, bsum *int32, nb, qstride, dstride, bstride int, out *[4]float32, scratch *[416]byte)
TEXT ·dotQ4Kx4AVX2(SB), NOSPLIT, $0-80
	kx4Body(q4kx4loop, q4kx4done, q4kDecode, q4kVec, 144)

// q6kDecode writes the Q6_K block at SI to the scratch buffer (R13) in
// the layout q6kVec reads, decoding as dotQ6KAVX2 does.
#define q6kDecode \
	VBROADCASTI128 x30<>(SB), Y7; \
	VMOVDQU (SI), Y8; \
	VMOVDQU 32(SI), Y9; \
	VMOVDQU 128(SI), Y4; \
	VPAND Y14, Y8, Y0; \
	VPAND three32<>(SB), Y4, Y5; \
	VPSLLW $4, Y5, Y5; \
	VPOR Y5, Y0, Y0; \
	VPAND Y14, Y9, Y1; \
	VPSLLW $2, Y4, Y5; \
	VPAND Y7, Y5, Y5; \
	VPOR Y5, Y1, Y1; \
	VPSRLW $4, Y8, Y2; \
	VPAND Y14, Y2, Y2; \
	VPAND Y7, Y4, Y5; \
	VPOR Y5, Y2, Y2; \
	VPSRLW $4, Y9, Y3; \
	VPAND Y14, Y3, Y3; \
	VPSRLW $2, Y4, Y5; \
	VPAND Y7, Y5, Y5; \
	VPOR Y5, Y3, Y3; \
	VMOVDQU Y0, 0(R13); \
	VMOVDQU Y1, 32(R13); \
	VMOVDQU Y2, 64(R13); \
	VMOVDQU Y3, 96(R13); \
	VMOVDQU 64(SI), Y8; \
	VMOVDQU 96(SI), Y9; \
	VMOVDQU 160(SI), Y4; \
	VPAND Y14, Y8, Y0; \
	VPAND three32<>(SB), Y4, Y5; \
	VPSLLW $4, Y5, Y5; \
	VPOR Y5, Y0, Y0; \
	VPAND Y14, Y9, Y1; \
	VPSLLW $2, Y4, Y5; \
	VPAND Y7, Y5, Y5; \
	VPOR Y5, Y1, Y1; \
	VPSRLW $4, Y8, Y2; \
	VPAND Y14, Y2, Y2; \
	VPAND Y7, Y4, Y5; \
	VPOR Y5, Y2, Y2; \
	VPSRLW $4, Y9, Y3; \
	VPAND Y14, Y3, Y3; \
	VPSRLW $2, Y4, Y5; \
	VPAND Y7, Y5, Y5; \
	VPOR Y5, Y3, Y3; \
	VMOVDQU Y0, 128(R13); \
	VMOVDQU Y1, 160(R13); \
	VMOVDQU Y2, 192(R13); \
	VMOVDQU Y3, 224(R13); \
	VMOVDQU 192(SI), X8; \
	VPSHUFB q6perm<>(SB), X8, X9; \
	VPMOVSXBD X9, Y0; \
	VPSRLDQ $8, X9, X1; \
	VPMOVSXBD X1, Y1; \
	VMOVDQU Y0, 256(R13); \
	VMOVDQU Y1, 288(R13); \
	VPMOVSXBD X8, Y0; \
	VPSRLDQ $8, X8, X1; \
	VPMOVSXBD X1, Y1; \
	VMOVDQU Y0, 320(R13); \
	VMOVDQU Y1, 352(R13); \
	MOVWLZX 208(SI), AX; \
	VMOVD AX, X8; \
	VCVTPH2PS X8, X8; \
	VMOVSS X8, 384(R13)

// q6kVec adds one vector's share of a decoded Q6_K block to acc: the
// 6-bit weights at 0(R13), the scales as int32 in the sums' order at 256
// and 288 and in natural order at 320 and 352, the f32 d at 384.
#define q6kVec(qp, dp, bp, acc) \
	kprods(qp); \
	VPHADDD Y1, Y0, Y0; VPHADDD Y3, Y2, Y2; VPHADDD Y2, Y0, Y0; \
	VPHADDD Y5, Y4, Y4; VPHADDD Y7, Y6, Y6; VPHADDD Y6, Y4, Y4; \
	VPMULLD 256(R13), Y0, Y0; VPMULLD 288(R13), Y4, Y4; VPADDD Y4, Y0, Y0; \
	VMOVDQU 320(R13), Y8; VPMULLD (bp), Y8, Y8; \
	VMOVDQU 352(R13), Y9; VPMULLD 32(bp), Y9, Y9; \
	VPADDD Y9, Y8, Y8; VPSLLD $5, Y8, Y8; VPSUBD Y8, Y0, Y0; \
	VCVTDQ2PS Y0, Y0; \
	VMOVSS 384(R13), X8; VMULSS (dp), X8, X8; VBROADCASTSS X8, Y8; \
	VFMADD231PS Y8, Y0, acc

// func dotQ6Kx4AVX2(row *byte, q *int8, d *float32, bsum *int32, nb, qstride, dstride, bstride int, out *[4]float32, scratch *[416]byte)
TEXT ·dotQ6Kx4AVX2(SB), NOSPLIT, $0-80
	kx4Body(q6kx4loop, q6kx4done, q6kDecode, q6kVec, 210)

DATA absmask<>+0(SB)/4, $0x7fffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $4
DATA signmask<>+0(SB)/4, $0x80000000
GLOBL signmask<>(SB), RODATA|NOPTR, $4
DATA onef<>+0(SB)/4, $0x3f800000
GLOBL onef<>(SB), RODATA|NOPTR, $4
DATA halff<>+0(SB)/4, $0x3f000000
GLOBL halff<>(SB), RODATA|NOPTR, $4
DATA packperm<>+0(SB)/8, $0x0000000400000000
DATA packperm<>+8(SB)/8, $0x0000000500000001
DATA packperm<>+16(SB)/8, $0x0000000600000002
DATA packperm<>+24(SB)/8, $0x0000000700000003
GLOBL packperm<>(SB), RODATA|NOPTR, $32

// func blockAmaxAVX2(x *float32, amax *float32, nblocks, bs int)
// amax[b] = max |x| over block b of bs values (bs a multiple of 8).
TEXT ·blockAmaxAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ amax+8(FP), DI
	MOVQ nblocks+16(FP), CX
	MOVQ bs+24(FP), DX
	SHRQ $3, DX
	VBROADCASTSS absmask<>(SB), Y15
amaxblk:
	TESTQ CX, CX
	JEQ   amaxdone
	VXORPS Y0, Y0, Y0
	MOVQ DX, BX
amaxloop:
	VANDPS (SI), Y15, Y1
	VMAXPS Y1, Y0, Y0
	ADDQ $32, SI
	DECQ BX
	JNZ  amaxloop
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	DECQ CX
	JMP  amaxblk
amaxdone:
	VZEROUPPER
	RET

// qround rounds the floats in y half away from zero (math.Round), in
// place: t = trunc(y), plus copysign(1, y) where |y − t| ≥ ½.
#define qround(y) \
	VROUNDPS $3, y, Y5; VSUBPS Y5, y, Y6; VANDPS Y15, Y6, Y6; \
	VCMPPS $0x1d, Y12, Y6, Y6; VANDPS Y14, y, Y7; VORPS Y13, Y7, Y7; \
	VANDPS Y7, Y6, Y6; VADDPS Y6, Y5, y; VCVTTPS2DQ y, y

// func quantRoundAVX2(x *float32, q *int8, id *float32, nblocks, bs int)
// q = math.Round(x·id[b]) for each value of block b of bs values (bs a
// multiple of 32), as int8.
TEXT ·quantRoundAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ id+16(FP), R8
	MOVQ nblocks+24(FP), CX
	MOVQ bs+32(FP), DX
	SHRQ $5, DX
	VBROADCASTSS absmask<>(SB), Y15
	VBROADCASTSS signmask<>(SB), Y14
	VBROADCASTSS onef<>(SB), Y13
	VBROADCASTSS halff<>(SB), Y12
	VMOVDQU packperm<>(SB), Y11
qrblk:
	TESTQ CX, CX
	JEQ   qrdone
	VBROADCASTSS (R8), Y10
	MOVQ DX, BX
qrloop:
	VMULPS (SI), Y10, Y0
	VMULPS 32(SI), Y10, Y1
	VMULPS 64(SI), Y10, Y2
	VMULPS 96(SI), Y10, Y3
	qround(Y0)
	qround(Y1)
	qround(Y2)
	qround(Y3)
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y11, Y0
	VMOVDQU Y0, (DI)
	ADDQ $128, SI
	ADDQ $32, DI
	DECQ BX
	JNZ  qrloop
	ADDQ $4, R8
	DECQ CX
	JMP  qrblk
qrdone:
	VZEROUPPER
	RET

// func axpyAVX2(y, x *float32, alpha float32, n int)
// y[i] += alpha·x[i] for n a multiple of 8, product and sum rounded
// separately as the portable loop does.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSS alpha+16(FP), Y15
	MOVQ n+24(FP), CX
	SHRQ $3, CX
axpyloop:
	TESTQ CX, CX
	JEQ   axpydone
	VMULPS (SI), Y15, Y0
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP  axpyloop
axpydone:
	VZEROUPPER
	RET

DATA x80<>+0(SB)/8, $0x8080808080808080
DATA x80<>+8(SB)/8, $0x8080808080808080
GLOBL x80<>(SB), RODATA|NOPTR, $16

// func dotQ8_0x4VNNI(row *byte, q *int8, d *float32, nb, qstride, dstride int, out *[4]float32)
// dotQ8_0x4AVX2 with AVX512-VNNI (on 256-bit vectors): VPDPBUSD takes
// unsigned × signed bytes, so the activations are offset by 128
// (q XOR 0x80 = q + 128) and each lane's sum starts from −128·Σw over
// the lane's weights, computed once per block for the four vectors. The
// integer sums are the same exact values, so the results are
// bit-identical to dotQ8_0x4AVX2's.
TEXT ·dotQ8_0x4VNNI(SB), NOSPLIT, $0-56
	MOVQ row+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nb+24(FP), CX
	MOVQ qstride+32(FP), R8
	MOVQ dstride+40(FP), R9
	LEAQ (R8)(R8*2), R10
	LEAQ (R9)(R9*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VBROADCASTI128 x80<>(SB), Y14

q8vloop:
	TESTQ CX, CX
	JEQ   q8vdone
	MOVWLZX (SI), AX
	VMOVD AX, X4
	VCVTPH2PS X4, X4
	VBROADCASTSS X4, Y4          // weight scale
	VMOVDQU 2(SI), Y5            // w
	VPXOR Y6, Y6, Y6
	VPDPBUSD Y5, Y14, Y6         // 128·Σw per lane
	VPXOR Y9, Y9, Y9
	VPSUBD Y6, Y9, Y9            // −128·Σw

	VPXOR (DI), Y14, Y7
	VMOVDQU Y9, Y6
	VPDPBUSD Y5, Y7, Y6
	VCVTDQ2PS Y6, Y7
	VBROADCASTSS (DX), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y0

	VPXOR (DI)(R8*1), Y14, Y7
	VMOVDQU Y9, Y6
	VPDPBUSD Y5, Y7, Y6
	VCVTDQ2PS Y6, Y7
	VBROADCASTSS (DX)(R9*1), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y1

	VPXOR (DI)(R8*2), Y14, Y7
	VMOVDQU Y9, Y6
	VPDPBUSD Y5, Y7, Y6
	VCVTDQ2PS Y6, Y7
	VBROADCASTSS (DX)(R9*2), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y2

	VPXOR (DI)(R10*1), Y14, Y7
	VMOVDQU Y9, Y6
	VPDPBUSD Y5, Y7, Y6
	VCVTDQ2PS Y6, Y7
	VBROADCASTSS (DX)(R11*1), Y8
	VMULPS Y8, Y4, Y8
	VFMADD231PS Y8, Y7, Y3

	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  q8vloop

q8vdone:
	MOVQ out+48(FP), AX
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET
