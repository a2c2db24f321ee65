#include "textflag.h"

// The AVX-512 K-quant kernels (AVX512F/BW/VL and VNNI): one Q4_K or Q6_K
// row against one, four or eight Q8_K activation vectors, each weight
// block decoded once into Z0-Z3 (64 unsigned weights per register) in an
// order where the same int32 lanes of all four registers belong to the
// same sub-block (the activations are kept in that order too: Q8.qz for
// Q4_K, Q8.qz6 for Q6_K), and d times its sub-block scales spread over
// those lanes as float32 (Z4). Per vector, four VPDPBUSD (weight × quant,
// four products a lane) sum into one register of sixteen exact int32
// lanes, which are converted to float32 and added, times Z4·dx, to the
// vector's sixteen float lanes in Z16+v by a fused multiply-add; these
// are summed at the end (halves, quarters, then pairs). Every vector's
// arithmetic is one macro (q4kzVec, q6kzVec), so the one-, four- and
// eight-vector kernels give bit-identical results.
//
// Q4_K: per block and vector, Σ lanes of (d·sc·dx)·Σ(u·q) − Σ (dmin·m)·
// (dx·Σq over each 32 quants), the second from the activations' float
// sub-block sums (Q8.msum, eight per block) by one fused multiply-add
// masked to eight lanes with the block's dmin·m. Q6_K: Σ lanes of
// (d·sc·dx)·Σ(u·q) + Σ (−32·d·sc)·(dx·Σq over each 16 quants), u the
// unsigned 6-bit quant, the second from Q8.msum16.
//
// Arguments of the four- and eight-vector kernels: row, d as in
// dotQ4KAVX2, q the reordered quants, bsum Q8.msum (Q4_K) or Q8.msum16
// (Q6_K); nb blocks; vector v's quants at q+v·qstride, scales at
// d+v·dstride and sums at bsum+v·bstride (bytes); out[v] the results.

// kzZero8 clears the eight vectors' accumulators Z16-Z23.
#define kzZero8 \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// kzConsts loads the nibble mask (Z31) and the type's constants.
#define kzConsts(setup) \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z31; \
	setup

// kzVecArgs loads the first vector's quants, scales and sums (DI, DX,
// R9) and the block count (CX) from the arguments.
#define kzVecArgs \
	MOVQ q+8(FP), DI; \
	MOVQ d+16(FP), DX; \
	MOVQ bsum+24(FP), R9; \
	MOVQ nb+32(FP), CX

// kzNextBlock moves SI, DI, DX and R9 on to the next block of bb bytes
// (bsb bytes of the vector's sums).
#define kzNextBlock(bb, bsb) \
	ADDQ $bb, SI; \
	ADDQ $256, DI; \
	ADDQ $4, DX; \
	ADDQ $bsb, R9

// kzBody runs decode once per block and vecs (kzVecs1/4/8) for the
// vectors, then stores the sums with outs.
#define kzBody(loop, done, setup, decode, prefetch, vecs, vec, outs, bb, bsb) \
	MOVQ row+0(FP), SI; \
	kzVecArgs; \
	kzConsts(setup); \
	kzZero8; \
loop:; \
	TESTQ CX, CX; \
	JEQ   done; \
	prefetch; \
	decode; \
	vecs(vec); \
	kzNextBlock(bb, bsb); \
	DECQ CX; \
	JMP  loop; \
done:; \
	MOVQ out+64(FP), AX; \
	outs; \
	VZEROUPPER; \
	RET

// kzNext moves R10-R12 on to the next vector's quants, scales and sums.
#define kzNext \
	ADDQ qstride+40(FP), R10; \
	ADDQ dstride+48(FP), R11; \
	ADDQ bstride+56(FP), R12

#define kzVecs4(vec) \
	MOVQ DI, R10; \
	MOVQ DX, R11; \
	MOVQ R9, R12; \
	vec(R10, R11, R12, Z16); kzNext; \
	vec(R10, R11, R12, Z17); kzNext; \
	vec(R10, R11, R12, Z18); kzNext; \
	vec(R10, R11, R12, Z19)

#define kzVecs8(vec) \
	kzVecs4(vec); kzNext; \
	vec(R10, R11, R12, Z20); kzNext; \
	vec(R10, R11, R12, Z21); kzNext; \
	vec(R10, R11, R12, Z22); kzNext; \
	vec(R10, R11, R12, Z23)

// kzOut stores the sum of the sixteen lanes of acc to dst.
#define kzOut(acc, yacc, dst) \
	VEXTRACTF64X4 $1, acc, Y11; \
	VADDPS Y11, yacc, Y11; \
	VEXTRACTF128 $1, Y11, X12; \
	VADDPS X12, X11, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMOVSS X0, dst

#define kzOuts4 \
	kzOut(Z16, Y16, 0(AX)); \
	kzOut(Z17, Y17, 4(AX)); \
	kzOut(Z18, Y18, 8(AX)); \
	kzOut(Z19, Y19, 12(AX))

// q4kzSetup loads the constants of the Q4_K kernels: the scale
// permutation (Z24), K1 selecting the words of the odd quadwords and K2
// the lower eight dwords.
#define q4kzSetup \
	VMOVDQU64 kzq4sc<>(SB), Z24; \
	MOVL $0xf0f0f0f0, AX; \
	KMOVD AX, K1; \
	MOVL $0xff, AX; \
	KMOVW AX, K2

// q4kzDecode decodes the Q4_K block at SI in the order of Q8.qz: quadword
// j of Zk holds weights 8k..8k+7 of sub-block j (the low nibbles of quant
// bytes 32m+8k..32m+8k+7 for j = 2m, their high nibbles for j = 2m+1),
// so that the four registers' VPDPBUSD lanes 2j and 2j+1 all belong to
// sub-block j; Z4 d times the 6-bit scale of sub-block j in float lanes
// 2j and 2j+1; Z8 the eight dmin·m as float32 in its lower lanes; Z9 d
// in every lane. The twelve bytes of scales and minimums are unpacked
// with byte shuffles into [scales 0-7, minimums 0-7] (as unpackScalesK4
// does): the low six bits of bytes 0-3 (scales 0-3) and 4-7 (minimums
// 0-3); for sub-blocks 4-7 the low and high nibbles of bytes 8-11 (scale,
// minimum) with the top two bits of bytes 0-3 and 4-7 above them.
#define q4kzQuads(k, z) \
	VMOVDQU64 kzq4qw<>+(64*k)(SB), z; \
	VPERMI2Q 80(SI), Z12, z; \
	VPSRLW $4, z, K1, z; \
	VPANDD Z31, z, z

#define q4kzDecode \
	VMOVDQU64 16(SI), Z12; \
	q4kzQuads(0, Z0); \
	q4kzQuads(1, Z1); \
	q4kzQuads(2, Z2); \
	q4kzQuads(3, Z3); \
	VMOVDQU 4(SI), X11; \
	VPSRLW $4, X11, X12; \
	VPSHUFB kzsclo<>(SB), X12, X12; \
	VPANDD X31, X12, X12; \
	VPSRLW $2, X11, X13; \
	VPSHUFB kzschi<>(SB), X13, X13; \
	VPAND kzbits45<>(SB), X13, X13; \
	VPSHUFB kzscsel<>(SB), X11, X11; \
	VPAND kzscmask<>(SB), X11, X11; \
	VPOR X12, X11, X11; \
	VPOR X13, X11, X11; \
	VPMOVZXBD X11, Z13; \
	VPERMD Z13, Z24, Z4; \
	VCVTDQ2PS Z4, Z4; \
	VPSRLDQ $8, X11, X12; \
	VPMOVZXBD X12, Y12; \
	VCVTDQ2PS Y12, Y12; \
	MOVL (SI), AX; \
	VMOVD AX, X9; \
	VCVTPH2PS X9, X9; \
	VPSHUFD $0x55, X9, X10; \
	VBROADCASTSS X10, Y10; \
	VMULPS Y10, Y12, Y8; \
	VBROADCASTSS X9, Z9; \
	VMULPS Z9, Z4, Z4

// kzDots adds to acc the products of the decoded weights Z0-Z3 with the
// vector's reordered quants at qp (summed into int32 lanes by VPDPBUSD),
// as float32 times Z4 (d·sc per lane) times the vector's scale at dp.
#define kzDots(qp, dp, acc) \
	VPXORD Z11, Z11, Z11; \
	VPDPBUSD 0(qp), Z0, Z11; \
	VPDPBUSD 64(qp), Z1, Z11; \
	VPDPBUSD 128(qp), Z2, Z11; \
	VPDPBUSD 192(qp), Z3, Z11; \
	VCVTDQ2PS Z11, Z11; \
	VMULPS.BCST 0(dp), Z4, Z14; \
	VFMADD231PS Z14, Z11, acc

// q4kzVec adds one vector's share of the decoded Q4_K block to acc (qp
// the vector's Q8.qz, bp its Q8.msum of the block: the masked-off upper
// half of the 64 bytes is never read): the four registers' products
// summed into one set of int32 lanes by VPDPBUSD (each lane within one
// sub-block, at most 16·15·127), then as float32 times d·sc·dx.
#define q4kzVec(qp, dp, bp, acc) \
	kzDots(qp, dp, acc); \
	VFNMADD231PS 0(bp), Z8, K2, acc

// q6kzSetup loads the constants of the Q6_K kernels: the high-bit
// shifts (Z29 left, Z28 right) and the mask of bits 4-5 (Z30).
#define q6kzSetup \
	VMOVDQU64 kzq6sh<>+0(SB), Z29; \
	VMOVDQU64 kzq6sh<>+64(SB), Z28; \
	MOVL $0x30303030, AX; \
	VPBROADCASTD AX, Z30

// q6kzHalf decodes 128 weights of the Q6_K block at SI, from the 64
// low-bit bytes at lo(SI) and the 32 high-bit bytes at hi(SI): za the
// weights 0-63 of the half, zb the weights 64-127.
#define q6kzHalf(lo, hi, za, zb) \
	VMOVDQU64 lo(SI), Z11; \
	VBROADCASTI64X4 hi(SI), Z12; \
	VPANDD Z31, Z11, za; \
	VPSLLVW Z29, Z12, Z13; \
	VPANDD Z30, Z13, Z13; \
	VPORD Z13, za, za; \
	VPSRLW $4, Z11, zb; \
	VPANDD Z31, zb, zb; \
	VPSRLVW Z28, Z12, Z13; \
	VPANDD Z30, Z13, Z13; \
	VPORD Z13, zb, zb

// q6kzDecode decodes the Q6_K block at SI: Z0-Z3 the unsigned 6-bit
// weights in the order of Q8.qz6, dword j of Zk weights 4k..4k+3 of
// sub-block j (so that the four registers' VPDPBUSD lanes j all belong
// to sub-block j): decoded in order, then transposed as a 4×4 matrix of
// 16-byte columns (VPERMI2D within pairs, VSHUFI32X4 across them); Z4 d
// times the sixteen 8-bit scales as float32, Z8 −32 times Z4.
#define q6kzDecode \
	q6kzHalf(0, 128, Z0, Z1); \
	q6kzHalf(64, 160, Z2, Z3); \
	VMOVDQU64 kzq6lo<>(SB), Z13; \
	VPERMI2D Z1, Z0, Z13; \
	VMOVDQU64 kzq6hi<>(SB), Z14; \
	VPERMI2D Z1, Z0, Z14; \
	VMOVDQU64 kzq6lo<>(SB), Z15; \
	VPERMI2D Z3, Z2, Z15; \
	VMOVDQU64 kzq6hi<>(SB), Z10; \
	VPERMI2D Z3, Z2, Z10; \
	VSHUFI32X4 $0x44, Z15, Z13, Z0; \
	VSHUFI32X4 $0xEE, Z15, Z13, Z1; \
	VSHUFI32X4 $0x44, Z10, Z14, Z2; \
	VSHUFI32X4 $0xEE, Z10, Z14, Z3; \
	VPMOVSXBD 192(SI), Z4; \
	VCVTDQ2PS Z4, Z4; \
	MOVWLZX 208(SI), AX; \
	VMOVD AX, X9; \
	VCVTPH2PS X9, X9; \
	VBROADCASTSS X9, Z9; \
	VMULPS Z9, Z4, Z4; \
	VMULPS.BCST kzm32<>(SB), Z4, Z8

// q6kzVec adds one vector's share of the decoded Q6_K block to acc (qp
// the vector's Q8.qz6, bp its Q8.msum16 of the block): the four
// registers' products summed into one set of int32 lanes by VPDPBUSD
// (lane j the sum over sub-block j, at most 16·63·127), as float32 times
// d·sc·dx, and the −32 offset as −32·d·sc times dx·Σq of the sub-block.
#define q6kzVec(qp, dp, bp, acc) \
	kzDots(qp, dp, acc); \
	VFMADD231PS 0(bp), Z8, acc

// kzRowsBody is kzBody for one vector against nrows rows stored one
// after another, out[r] the result of row r: the vector's arithmetic is
// the same, row after row, without a call per row.
#define kzRowsBody(rowloop, loop, done, setup, decode, prefetch, vec, bb, bsb) \
	MOVQ rows+0(FP), SI; \
	MOVQ out+48(FP), R13; \
	kzConsts(setup); \
rowloop:; \
	CMPQ nrows+40(FP), $0; \
	JEQ  done; \
	kzVecArgs; \
	VPXORD Z16, Z16, Z16; \
loop:; \
	prefetch; \
	decode; \
	vec(DI, DX, R9, Z16); \
	kzNextBlock(bb, bsb); \
	DECQ CX; \
	JNZ  loop; \
	kzOut(Z16, Y16, (R13)); \
	ADDQ $4, R13; \
	DECQ nrows+40(FP); \
	JMP  rowloop; \
done:; \
	VZEROUPPER; \
	RET

// kzRows8Body is kzBody for eight vectors against nrows rows stored one
// after another, the result of row r and vector v stored at out +
// r·4 + v·ostride (bytes): the vectors' arithmetic is that of kzVecs8, row
// after row, without a call per row, and the eight sums of a row are
// taken together by a transposing tree (kzSum8) instead of one by one.
#define kzRows8Body(rowloop, loop, done, setup, decode, prefetch, vec, bb, bsb) \
	MOVQ row+0(FP), SI; \
	MOVQ out+64(FP), R8; \
	MOVQ nrows+72(FP), BX; \
	kzConsts(setup); \
rowloop:; \
	TESTQ BX, BX; \
	JEQ   done; \
	kzVecArgs; \
	kzZero8; \
loop:; \
	prefetch; \
	decode; \
	kzVecs8(vec); \
	kzNextBlock(bb, bsb); \
	DECQ CX; \
	JNZ  loop; \
	kzSum8; \
	MOVQ ostride+80(FP), R11; \
	kzStore8; \
	ADDQ $4, R8; \
	DECQ BX; \
	JMP  rowloop; \
done:; \
	VZEROUPPER; \
	RET

// kzSum8 sets the eight lanes of Y7 to the sums of the sixteen lanes of
// Z16-Z23 (vector v in lane v), by halves, quarters, then pairs of lanes
// of all of them together: PAIR puts [a.lo+a.hi | b.lo+b.hi] in d, QUAD
// the quarters [a0+a2, a1+a3, b0+b2, b1+b3] of two such, HADD the sums of
// adjacent lanes within each quarter.
#define kzPAIR(a, b, d) \
	VSHUFF32X4 $0x44, b, a, Z8; \
	VSHUFF32X4 $0xEE, b, a, Z9; \
	VADDPS Z9, Z8, d
#define kzQUAD(a, b, d) \
	VSHUFF32X4 $0x88, b, a, Z8; \
	VSHUFF32X4 $0xDD, b, a, Z9; \
	VADDPS Z9, Z8, d
#define kzHADD(a, b, d) \
	VSHUFPS $0x88, b, a, Z8; \
	VSHUFPS $0xDD, b, a, Z9; \
	VADDPS Z9, Z8, d
#define kzSum8 \
	kzPAIR(Z16, Z17, Z0); \
	kzPAIR(Z18, Z19, Z1); \
	kzPAIR(Z20, Z21, Z2); \
	kzPAIR(Z22, Z23, Z3); \
	kzQUAD(Z0, Z1, Z4); \
	kzQUAD(Z2, Z3, Z5); \
	kzHADD(Z4, Z5, Z6); \
	kzHADD(Z6, Z6, Z7); \
	VMOVDQU64 kzlanes8<>(SB), Z10; \
	VPERMPS Z7, Z10, Z7

// kzStore4 stores the four lanes of X7 at R10, R10 + R11, ... and moves
// R10 on past them.
#define kzStore4 \
	VMOVSS X7, (R10); \
	ADDQ R11, R10; \
	VEXTRACTPS $1, X7, (R10); \
	ADDQ R11, R10; \
	VEXTRACTPS $2, X7, (R10); \
	ADDQ R11, R10; \
	VEXTRACTPS $3, X7, (R10); \
	ADDQ R11, R10

// kzStore8 stores lane v of Y7 at R8 + v·R11 (bytes).
#define kzStore8 \
	MOVQ R8, R10; \
	kzStore4; \
	VEXTRACTF128 $1, Y7, X7; \
	kzStore4

// kzlanes8: after kzSum8's tree, quarter j of Z7 holds vector j's sum in
// lane 4j and vector j+4's in lane 4j+1.
DATA kzlanes8<>+0(SB)/8, $0x0000000400000000
DATA kzlanes8<>+8(SB)/8, $0x0000000c00000008
DATA kzlanes8<>+16(SB)/8, $0x0000000500000001
DATA kzlanes8<>+24(SB)/8, $0x0000000d00000009
DATA kzlanes8<>+32(SB)/8, $0
DATA kzlanes8<>+40(SB)/8, $0
DATA kzlanes8<>+48(SB)/8, $0
DATA kzlanes8<>+56(SB)/8, $0
GLOBL kzlanes8<>(SB), RODATA|NOPTR, $64

// q4kzPrefetch and q6kzPrefetch ask for the weights 2 KB ahead of the
// block at SI (as many cache lines as a block spans): the rows stream
// from memory, and the hardware prefetcher alone leaves a one-vector
// product waiting on it (a third more tokens per CPU-second decoding
// TinyLlama-sized Q4_K_M with them).
#define q4kzPrefetch \
	PREFETCHT0 2048(SI); \
	PREFETCHT0 2112(SI); \
	PREFETCHT0 2176(SI)

#define q6kzPrefetch \
	PREFETCHT0 2048(SI); \
	PREFETCHT0 2112(SI); \
	PREFETCHT0 2176(SI); \
	PREFETCHT0 2240(SI)

// func dotQ4KRowsZ(rows *byte, q *int8, d *float32, bsum *float32, nb, nrows int, out *float32)
TEXT ·dotQ4KRowsZ(SB), NOSPLIT, $0-56
	kzRowsBody(q4kzrow, q4kzrloop, q4kzrdone, q4kzSetup, q4kzDecode, q4kzPrefetch, q4kzVec, 144, 32)

// func dotQ6KRowsZ(rows *byte, q *int8, d *float32, bsum *float32, nb, nrows int, out *float32)
TEXT ·dotQ6KRowsZ(SB), NOSPLIT, $0-56
	kzRowsBody(q6kzrow, q6kzrloop, q6kzrdone, q6kzSetup, q6kzDecode, q6kzPrefetch, q6kzVec, 210, 64)

// func dotQ4Kx4Z(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32)
TEXT ·dotQ4Kx4Z(SB), NOSPLIT, $0-72
	kzBody(q4kz4loop, q4kz4done, q4kzSetup, q4kzDecode, q4kzPrefetch, kzVecs4, q4kzVec, kzOuts4, 144, 32)

// func dotQ6Kx4Z(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32)
TEXT ·dotQ6Kx4Z(SB), NOSPLIT, $0-72
	kzBody(q6kz4loop, q6kz4done, q6kzSetup, q6kzDecode, q6kzPrefetch, kzVecs4, q6kzVec, kzOuts4, 210, 64)

// kzq4sc: VPERMD indexes spreading the eight Q4_K scales (dwords) over
// the lanes of q4kzVec's sums: scale j in lanes 2j and 2j+1.
DATA kzq4sc<>+0(SB)/8, $0x0000000000000000
DATA kzq4sc<>+8(SB)/8, $0x0000000100000001
DATA kzq4sc<>+16(SB)/8, $0x0000000200000002
DATA kzq4sc<>+24(SB)/8, $0x0000000300000003
DATA kzq4sc<>+32(SB)/8, $0x0000000400000004
DATA kzq4sc<>+40(SB)/8, $0x0000000500000005
DATA kzq4sc<>+48(SB)/8, $0x0000000600000006
DATA kzq4sc<>+56(SB)/8, $0x0000000700000007
GLOBL kzq4sc<>(SB), RODATA|NOPTR, $64

// kzq4qw: VPERMI2Q indexes into the 16 quadwords of a Q4_K block's
// quants for q4kzDecode's register k: quadwords k, k, 4+k, 4+k, 8+k,
// 8+k, 12+k, 12+k.
DATA kzq4qw<>+0(SB)/8, $0
DATA kzq4qw<>+8(SB)/8, $0
DATA kzq4qw<>+16(SB)/8, $4
DATA kzq4qw<>+24(SB)/8, $4
DATA kzq4qw<>+32(SB)/8, $8
DATA kzq4qw<>+40(SB)/8, $8
DATA kzq4qw<>+48(SB)/8, $12
DATA kzq4qw<>+56(SB)/8, $12
DATA kzq4qw<>+64(SB)/8, $1
DATA kzq4qw<>+72(SB)/8, $1
DATA kzq4qw<>+80(SB)/8, $5
DATA kzq4qw<>+88(SB)/8, $5
DATA kzq4qw<>+96(SB)/8, $9
DATA kzq4qw<>+104(SB)/8, $9
DATA kzq4qw<>+112(SB)/8, $13
DATA kzq4qw<>+120(SB)/8, $13
DATA kzq4qw<>+128(SB)/8, $2
DATA kzq4qw<>+136(SB)/8, $2
DATA kzq4qw<>+144(SB)/8, $6
DATA kzq4qw<>+152(SB)/8, $6
DATA kzq4qw<>+160(SB)/8, $10
DATA kzq4qw<>+168(SB)/8, $10
DATA kzq4qw<>+176(SB)/8, $14
DATA kzq4qw<>+184(SB)/8, $14
DATA kzq4qw<>+192(SB)/8, $3
DATA kzq4qw<>+200(SB)/8, $3
DATA kzq4qw<>+208(SB)/8, $7
DATA kzq4qw<>+216(SB)/8, $7
DATA kzq4qw<>+224(SB)/8, $11
DATA kzq4qw<>+232(SB)/8, $11
DATA kzq4qw<>+240(SB)/8, $15
DATA kzq4qw<>+248(SB)/8, $15
GLOBL kzq4qw<>(SB), RODATA|NOPTR, $256

// kzq6lo and kzq6hi: VPERMI2D indexes taking 16-byte columns 0 and 1
// (2 and 3) of two registers of Q6_K weights: [a0, b0, a1, b1] (a2 ...).
DATA kzq6lo<>+0(SB)/8, $0x0000000400000000
DATA kzq6lo<>+8(SB)/8, $0x0000000c00000008
DATA kzq6lo<>+16(SB)/8, $0x0000001400000010
DATA kzq6lo<>+24(SB)/8, $0x0000001c00000018
DATA kzq6lo<>+32(SB)/8, $0x0000000500000001
DATA kzq6lo<>+40(SB)/8, $0x0000000d00000009
DATA kzq6lo<>+48(SB)/8, $0x0000001500000011
DATA kzq6lo<>+56(SB)/8, $0x0000001d00000019
GLOBL kzq6lo<>(SB), RODATA|NOPTR, $64
DATA kzq6hi<>+0(SB)/8, $0x0000000600000002
DATA kzq6hi<>+8(SB)/8, $0x0000000e0000000a
DATA kzq6hi<>+16(SB)/8, $0x0000001600000012
DATA kzq6hi<>+24(SB)/8, $0x0000001e0000001a
DATA kzq6hi<>+32(SB)/8, $0x0000000700000003
DATA kzq6hi<>+40(SB)/8, $0x0000000f0000000b
DATA kzq6hi<>+48(SB)/8, $0x0000001700000013
DATA kzq6hi<>+56(SB)/8, $0x0000001f0000001b
GLOBL kzq6hi<>(SB), RODATA|NOPTR, $64
DATA kzm32<>+0(SB)/4, $0xc2000000 // -32.0
GLOBL kzm32<>(SB), RODATA|NOPTR, $4

// kzq6sh: word shifts that bring the Q6_K high bits of each weight to
// bits 4-5: left by 4 (first half) and 2 (second half) for the weight
// vectors of the low nibbles, right by 0 and 2 for the high nibbles.
DATA kzq6sh<>+0(SB)/8, $0x0004000400040004
DATA kzq6sh<>+8(SB)/8, $0x0004000400040004
DATA kzq6sh<>+16(SB)/8, $0x0004000400040004
DATA kzq6sh<>+24(SB)/8, $0x0004000400040004
DATA kzq6sh<>+32(SB)/8, $0x0002000200020002
DATA kzq6sh<>+40(SB)/8, $0x0002000200020002
DATA kzq6sh<>+48(SB)/8, $0x0002000200020002
DATA kzq6sh<>+56(SB)/8, $0x0002000200020002
DATA kzq6sh<>+64(SB)/8, $0x0000000000000000
DATA kzq6sh<>+72(SB)/8, $0x0000000000000000
DATA kzq6sh<>+80(SB)/8, $0x0000000000000000
DATA kzq6sh<>+88(SB)/8, $0x0000000000000000
DATA kzq6sh<>+96(SB)/8, $0x0002000200020002
DATA kzq6sh<>+104(SB)/8, $0x0002000200020002
DATA kzq6sh<>+112(SB)/8, $0x0002000200020002
DATA kzq6sh<>+120(SB)/8, $0x0002000200020002
GLOBL kzq6sh<>(SB), RODATA|NOPTR, $128

// kzscsel picks scale bytes 0-3, 8-11 and 4-7 for the low parts of
// scales 0-7 and minimums 0-3 (kzscmask keeps 6, 4 and 6 bits of them);
// kzsclo picks bytes 8-11 shifted right by 4 (minimums 4-7, low nibble);
// kzschi picks bytes 0-3 and 4-7 shifted right by 2 (the top bits of
// scales and minimums 4-7, kept at bits 4-5 by kzbits45). 0x80 gives 0.
DATA kzscsel<>+0(SB)/8, $0x0b0a090803020100
DATA kzscsel<>+8(SB)/8, $0x8080808007060504
GLOBL kzscsel<>(SB), RODATA|NOPTR, $16
DATA kzscmask<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA kzscmask<>+8(SB)/8, $0x000000003f3f3f3f
GLOBL kzscmask<>(SB), RODATA|NOPTR, $16
DATA kzsclo<>+0(SB)/8, $0x8080808080808080
DATA kzsclo<>+8(SB)/8, $0x0b0a090880808080
GLOBL kzsclo<>(SB), RODATA|NOPTR, $16
DATA kzschi<>+0(SB)/8, $0x0302010080808080
DATA kzschi<>+8(SB)/8, $0x0706050480808080
GLOBL kzschi<>(SB), RODATA|NOPTR, $16
DATA kzbits45<>+0(SB)/8, $0x3030303000000000
DATA kzbits45<>+8(SB)/8, $0x3030303000000000
GLOBL kzbits45<>(SB), RODATA|NOPTR, $16

// The eight-vector Q8_0 kernel: each pair of weight blocks (64 int8)
// offset by 128 (XOR 0x80) into Z5 as the unsigned side of VPDPBUSD, its
// float16 scales spread over the halves of Z6; each vector's 64 quants
// are the signed side, read from memory, and its sums start from Q8.corr
// (−128·Σq of each block in lanes 0 and 8), so each int32 lane is
// exactly Σ q·w over its 4 weights (the block's lanes summed); then the
// lanes, as float32, times dw·dx (dx from Q8.dxs, spread like Z6) are
// added into Z16+v. Per vector: one load, four arithmetic operations.

// q8zVec adds vector R10's share of the decoded block pair to acc: its
// quants at DI+R10, sums' start at R9+R10, scales at DX+R10 (the three
// arrays take as many bytes per vector); R10 moves on to the next vector.
#define q8zVec(acc) \
	VMOVDQU32 (R9)(R10*1), Z10; \
	VPDPBUSD (DI)(R10*1), Z5, Z10; \
	VCVTDQ2PS Z10, Z10; \
	VMULPS (DX)(R10*1), Z6, Z11; \
	VFMADD231PS Z11, Z10, acc; \
	ADDQ R11, R10

// func dotQ8_0x8RowsZ(rows *byte, q *int8, corr *int32, dxs *float32, nb, stride int, out *float32, nrows, ostride int)
// out[r·4 + v·ostride] (bytes) = DotQ8 of row r of the nrows Q8_0 rows
// (nb blocks each, nb even) stored one after another with the eight
// vectors v at q, corr and dxs + v·stride (bytes), each pair of blocks
// decoded once for the eight; a row's eight sums are taken by kzSum8.
TEXT ·dotQ8_0x8RowsZ(SB), NOSPLIT, $0-72
	MOVQ rows+0(FP), SI
	MOVQ out+48(FP), R8
	MOVQ nrows+56(FP), BX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z14
	VMOVDQU64 kzpair<>(SB), Z12

q8zrow:
	TESTQ BX, BX
	JEQ   q8zdone
	MOVQ q+8(FP), DI
	MOVQ corr+16(FP), R9
	MOVQ dxs+24(FP), DX
	MOVQ nb+32(FP), CX
	SHRQ $1, CX
	kzZero8

q8zloop:
	PREFETCHT0 2048(SI)
	PREFETCHT0 2112(SI)
	VMOVDQU 2(SI), Y5
	VINSERTI64X4 $1, 36(SI), Z5, Z5
	VPXORD Z14, Z5, Z5           // w + 128, unsigned
	MOVWLZX (SI), AX
	MOVWLZX 34(SI), R13
	VMOVD AX, X6
	VPINSRW $1, R13, X6, X6
	VCVTPH2PS X6, X6
	VPERMPS Z6, Z12, Z6          // [dw0 ×8 | dw1 ×8]
	MOVQ stride+40(FP), R11
	XORQ R10, R10
	q8zVec(Z16)
	q8zVec(Z17)
	q8zVec(Z18)
	q8zVec(Z19)
	q8zVec(Z20)
	q8zVec(Z21)
	q8zVec(Z22)
	q8zVec(Z23)
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $64, R9
	ADDQ $64, DX
	DECQ CX
	JNZ  q8zloop
	kzSum8
	MOVQ ostride+64(FP), R11
	kzStore8
	ADDQ $4, R8
	DECQ BX
	JMP  q8zrow

q8zdone:
	VZEROUPPER
	RET

// kzpair: VPERMPS indexes 0 (×8) then 1 (×8): a pair of block scales over
// the halves of a register.
DATA kzpair<>+0(SB)/8, $0
DATA kzpair<>+8(SB)/8, $0
DATA kzpair<>+16(SB)/8, $0
DATA kzpair<>+24(SB)/8, $0
DATA kzpair<>+32(SB)/8, $0x0000000100000001
DATA kzpair<>+40(SB)/8, $0x0000000100000001
DATA kzpair<>+48(SB)/8, $0x0000000100000001
DATA kzpair<>+56(SB)/8, $0x0000000100000001
GLOBL kzpair<>(SB), RODATA|NOPTR, $64

// func dotQ4Kx8RowsZ(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32, nrows, ostride int)
TEXT ·dotQ4Kx8RowsZ(SB), NOSPLIT, $0-88
	kzRows8Body(q4kz8row, q4kz8rloop, q4kz8rdone, q4kzSetup, q4kzDecode, q4kzPrefetch, q4kzVec, 144, 32)

// func dotQ6Kx8RowsZ(row *byte, q *int8, d *float32, bsum *float32, nb, qstride, dstride, bstride int, out *float32, nrows, ostride int)
TEXT ·dotQ6Kx8RowsZ(SB), NOSPLIT, $0-88
	kzRows8Body(q6kz8row, q6kz8rloop, q6kz8rdone, q6kzSetup, q6kzDecode, q6kzPrefetch, q6kzVec, 210, 64)
