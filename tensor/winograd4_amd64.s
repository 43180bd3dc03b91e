//go:build amd64 && !purego

#include "textflag.h"

// Constants of the F(4×4, 3×3) transforms: 4, 5, 8.
DATA w4c<>+0(SB)/4, $0x40800000
DATA w4c<>+4(SB)/4, $0x40a00000
DATA w4c<>+8(SB)/4, $0x41000000
GLOBL w4c<>(SB), RODATA|NOPTR, $12

// Lane permutations. The in-lane 4×4 transpose of four rows of 8 leaves
// the tiles in the order 0 2 4 6 1 3 5 7: w4nat restores the natural
// order, w4next gives the natural order shifted by one tile (lane 7 is
// filled separately), w4mix is w4nat's inverse.
DATA w4nat<>+0(SB)/4, $0
DATA w4nat<>+4(SB)/4, $4
DATA w4nat<>+8(SB)/4, $1
DATA w4nat<>+12(SB)/4, $5
DATA w4nat<>+16(SB)/4, $2
DATA w4nat<>+20(SB)/4, $6
DATA w4nat<>+24(SB)/4, $3
DATA w4nat<>+28(SB)/4, $7
GLOBL w4nat<>(SB), RODATA|NOPTR, $32

DATA w4next<>+0(SB)/4, $4
DATA w4next<>+4(SB)/4, $1
DATA w4next<>+8(SB)/4, $5
DATA w4next<>+12(SB)/4, $2
DATA w4next<>+16(SB)/4, $6
DATA w4next<>+20(SB)/4, $3
DATA w4next<>+24(SB)/4, $7
DATA w4next<>+28(SB)/4, $0
GLOBL w4next<>(SB), RODATA|NOPTR, $32

DATA w4mix<>+0(SB)/4, $0
DATA w4mix<>+4(SB)/4, $2
DATA w4mix<>+8(SB)/4, $4
DATA w4mix<>+12(SB)/4, $6
DATA w4mix<>+16(SB)/4, $1
DATA w4mix<>+20(SB)/4, $3
DATA w4mix<>+24(SB)/4, $5
DATA w4mix<>+28(SB)/4, $7
GLOBL w4mix<>(SB), RODATA|NOPTR, $32

// BT6 applies Bᵀ to Y0..Y5 (z0..z5) as bt6 does, operation for
// operation: o0 Y6, o1 Y8, o2 Y9, o3 Y10, o4 Y11, o5 Y7. Y12 = 4, Y13 = 5.
// Clobbers Y0.
#define BT6 \
	VMULPS Y12, Y2, Y6; \
	VSUBPS Y6, Y4, Y6; \
	VMULPS Y12, Y1, Y7; \
	VSUBPS Y7, Y3, Y7; \
	VADDPS Y7, Y6, Y8; \
	VSUBPS Y7, Y6, Y9; \
	VSUBPS Y2, Y4, Y6; \
	VSUBPS Y1, Y3, Y7; \
	VADDPS Y7, Y7, Y7; \
	VADDPS Y7, Y6, Y10; \
	VSUBPS Y7, Y6, Y11; \
	VMULPS Y12, Y0, Y6; \
	VMULPS Y13, Y2, Y7; \
	VSUBPS Y7, Y6, Y6; \
	VADDPS Y4, Y6, Y6; \
	VMULPS Y12, Y1, Y7; \
	VMULPS Y13, Y3, Y0; \
	VSUBPS Y0, Y7, Y7; \
	VADDPS Y5, Y7, Y7

// IROW transforms one input row (SI) of 8 tiles across: columns 4k+j for
// j = 0..5 gathered into Y0..Y5, then Bᵀ along the row, the six results
// stored at off(SP). Y14 = w4nat, Y15 = w4next.
#define IROW(off) \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	VUNPCKLPS Y1, Y0, Y4; \
	VUNPCKHPS Y1, Y0, Y5; \
	VUNPCKLPS Y3, Y2, Y6; \
	VUNPCKHPS Y3, Y2, Y7; \
	VUNPCKLPD Y6, Y4, Y0; \
	VUNPCKHPD Y6, Y4, Y1; \
	VUNPCKLPD Y7, Y5, Y2; \
	VUNPCKHPD Y7, Y5, Y3; \
	VPERMPS Y0, Y15, Y4; \
	VBROADCASTSS 128(SI), Y6; \
	VBLENDPS $0x80, Y6, Y4, Y4; \
	VPERMPS Y1, Y15, Y5; \
	VBROADCASTSS 132(SI), Y6; \
	VBLENDPS $0x80, Y6, Y5, Y5; \
	VPERMPS Y0, Y14, Y0; \
	VPERMPS Y1, Y14, Y1; \
	VPERMPS Y2, Y14, Y2; \
	VPERMPS Y3, Y14, Y3; \
	BT6; \
	VMOVUPS Y6, off+0(SP); \
	VMOVUPS Y8, off+32(SP); \
	VMOVUPS Y9, off+64(SP); \
	VMOVUPS Y10, off+96(SP); \
	VMOVUPS Y11, off+128(SP); \
	VMOVUPS Y7, off+160(SP); \
	ADDQ BX, SI

// ICOL applies Bᵀ down column q (off = 32q) of the row results and stores
// the six vectors at ξ = 6i+q: DI points at ξ = q, R8 is six ξ strides.
#define ICOL(off) \
	VMOVUPS off+0(SP), Y0; \
	VMOVUPS off+192(SP), Y1; \
	VMOVUPS off+384(SP), Y2; \
	VMOVUPS off+576(SP), Y3; \
	VMOVUPS off+768(SP), Y4; \
	VMOVUPS off+960(SP), Y5; \
	BT6; \
	LEAQ (DI)(R8*2), R9; \
	VMOVUPS Y6, (DI); \
	VMOVUPS Y8, (DI)(R8*1); \
	VMOVUPS Y9, (R9); \
	ADDQ R8, R9; \
	VMOVUPS Y10, (R9); \
	VMOVUPS Y11, (R9)(R8*1); \
	VMOVUPS Y7, (R9)(R8*2); \
	ADDQ DX, DI

// func wino4InputAVX2(src *float32, ld int, dst *float32, s int)
// V = Bᵀ d B for 8 tiles side by side: src is the top-left of the first
// tile's 6×6 block (rows ld floats apart, 34 columns read); the 36 values
// of each tile go to dst[ξ*s + tile].
TEXT ·wino4InputAVX2(SB), 0, $1152-32
	MOVQ src+0(FP), SI
	MOVQ ld+8(FP), BX
	SHLQ $2, BX
	MOVQ dst+16(FP), DI
	MOVQ s+24(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R8
	ADDQ R8, R8
	VBROADCASTSS w4c<>+0(SB), Y12
	VBROADCASTSS w4c<>+4(SB), Y13
	VMOVDQU w4nat<>(SB), Y14
	VMOVDQU w4next<>(SB), Y15
	IROW(0)
	IROW(192)
	IROW(384)
	IROW(576)
	IROW(768)
	IROW(960)
	ICOL(0)
	ICOL(32)
	ICOL(64)
	ICOL(96)
	ICOL(128)
	ICOL(160)
	VZEROUPPER
	RET

// AT6 applies Aᵀ to Y0..Y5 (m0..m5) as at6 does: y0 Y10, y1 Y11, y2 Y1,
// y3 Y2. Y12 = 4, Y13 = 8.
#define AT6 \
	VADDPS Y2, Y1, Y6; \
	VSUBPS Y2, Y1, Y7; \
	VADDPS Y4, Y3, Y8; \
	VSUBPS Y4, Y3, Y9; \
	VADDPS Y6, Y0, Y10; \
	VADDPS Y8, Y10, Y10; \
	VADDPS Y9, Y9, Y11; \
	VADDPS Y11, Y7, Y11; \
	VMULPS Y12, Y8, Y1; \
	VADDPS Y1, Y6, Y1; \
	VMULPS Y13, Y9, Y2; \
	VADDPS Y2, Y7, Y2; \
	VADDPS Y5, Y2, Y2

// OCOL applies Aᵀ down column j of the products (SI at ξ = j, R8 six ξ
// strides) and stores the four results at off(SP), off+192, …
#define OCOL(off) \
	LEAQ (SI)(R8*2), R9; \
	VMOVUPS (SI), Y0; \
	VMOVUPS (SI)(R8*1), Y1; \
	VMOVUPS (R9), Y2; \
	ADDQ R8, R9; \
	VMOVUPS (R9), Y3; \
	VMOVUPS (R9)(R8*1), Y4; \
	VMOVUPS (R9)(R8*2), Y5; \
	AT6; \
	VMOVUPS Y10, off+0(SP); \
	VMOVUPS Y11, off+192(SP); \
	VMOVUPS Y1, off+384(SP); \
	VMOVUPS Y2, off+576(SP); \
	ADDQ DX, SI

// OROW applies Aᵀ along row r (off = 192r) of the column results, adds the
// bias (Y14) and writes the row's 32 outputs at DI, interleaving the four
// columns of the 8 tiles (Y15 = w4mix, then the in-lane transpose).
#define OROW(off) \
	VMOVUPS off+0(SP), Y0; \
	VMOVUPS off+32(SP), Y1; \
	VMOVUPS off+64(SP), Y2; \
	VMOVUPS off+96(SP), Y3; \
	VMOVUPS off+128(SP), Y4; \
	VMOVUPS off+160(SP), Y5; \
	AT6; \
	VADDPS Y14, Y10, Y10; \
	VADDPS Y14, Y11, Y11; \
	VADDPS Y14, Y1, Y1; \
	VADDPS Y14, Y2, Y2; \
	VPERMPS Y10, Y15, Y10; \
	VPERMPS Y11, Y15, Y11; \
	VPERMPS Y1, Y15, Y1; \
	VPERMPS Y2, Y15, Y2; \
	VUNPCKLPS Y11, Y10, Y4; \
	VUNPCKHPS Y11, Y10, Y5; \
	VUNPCKLPS Y2, Y1, Y6; \
	VUNPCKHPS Y2, Y1, Y7; \
	VUNPCKLPD Y6, Y4, Y0; \
	VUNPCKHPD Y6, Y4, Y1; \
	VUNPCKLPD Y7, Y5, Y2; \
	VUNPCKHPD Y7, Y5, Y3; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ BX, DI

// func wino4OutputAVX2(m *float32, s int, out *float32, ld int, bias float32)
// Y = Aᵀ M A + bias for 8 tiles side by side: the 36 products of each tile
// at m[ξ*s + tile]; out is the top-left of the first tile's 4×4 block
// (rows ld floats apart, 32 columns written).
TEXT ·wino4OutputAVX2(SB), 0, $768-36
	MOVQ m+0(FP), SI
	MOVQ s+8(FP), DX
	SHLQ $2, DX
	MOVQ out+16(FP), DI
	MOVQ ld+24(FP), BX
	SHLQ $2, BX
	LEAQ (DX)(DX*2), R8
	ADDQ R8, R8
	VBROADCASTSS w4c<>+0(SB), Y12
	VBROADCASTSS w4c<>+8(SB), Y13
	VBROADCASTSS bias+32(FP), Y14
	VMOVDQU w4mix<>(SB), Y15
	OCOL(0)
	OCOL(32)
	OCOL(64)
	OCOL(96)
	OCOL(128)
	OCOL(160)
	OROW(0)
	OROW(192)
	OROW(384)
	OROW(576)
	VZEROUPPER
	RET
