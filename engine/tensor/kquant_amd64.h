// Macros shared by the Q4_K kernels of simd_amd64.s (dotQ4KAVX2 and the
// four-vector q4kDecode).

// q4kScaleBytes sets R10 to the 6-bit scales of sub-blocks 0-3 and R11 to
// those of sub-blocks 4-7, one per byte, of the Q4_K block at SI (as
// unpackScalesK4 does), leaving the block's scale bytes 0-3 in AX, 4-7 in
// BX and 8-11 in R8 for q4kMinBytes; R12 is clobbered.
#define q4kScaleBytes \
	MOVL 4(SI), AX; \
	MOVL 8(SI), BX; \
	MOVL 12(SI), R8; \
	MOVL AX, R10; \
	ANDL $0x3f3f3f3f, R10; \
	MOVL R8, R11; \
	ANDL $0x0f0f0f0f, R11; \
	MOVL AX, R12; \
	SHRL $6, R12; \
	ANDL $0x03030303, R12; \
	SHLL $4, R12; \
	ORL  R12, R11

// q4kMinBytes sets R10 and R11 to the 6-bit minimums of sub-blocks 0-3
// and 4-7 from BX and R8 as q4kScaleBytes left them; R12 is clobbered.
#define q4kMinBytes \
	MOVL BX, R10; \
	ANDL $0x3f3f3f3f, R10; \
	MOVL R8, R11; \
	SHRL $4, R11; \
	ANDL $0x0f0f0f0f, R11; \
	MOVL BX, R12; \
	SHRL $6, R12; \
	ANDL $0x03030303, R12; \
	SHLL $4, R12; \
	ORL  R12, R11
