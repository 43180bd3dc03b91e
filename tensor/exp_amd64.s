//go:build amd64 && !purego

#include "textflag.h"

// Constants of the Cephes-style single-precision exp: log2(e), -ln2 split
// in a high and a low part, the degree-5 polynomial, 1 and the lower clamp
// (-80: below it the result is 0, so no denormal ever comes out).
DATA expc<>+0(SB)/4, $0x3fb8aa3b
DATA expc<>+4(SB)/4, $0xbf318000
DATA expc<>+8(SB)/4, $0x395e8083
DATA expc<>+12(SB)/4, $0x39506967
DATA expc<>+16(SB)/4, $0x3ab743ce
DATA expc<>+20(SB)/4, $0x3c088908
DATA expc<>+24(SB)/4, $0x3d2aa9c1
DATA expc<>+28(SB)/4, $0x3e2aaaaa
DATA expc<>+32(SB)/4, $0x3f000000
DATA expc<>+36(SB)/4, $0x3f800000
DATA expc<>+40(SB)/4, $0xc2a00000
GLOBL expc<>(SB), RODATA|NOPTR, $44

// LOADEXP loads the exp constants (expc, exp_amd64.s) into Z1..Z11.
#define LOADEXP \
	VBROADCASTSS expc<>+0(SB), Z1; \
	VBROADCASTSS expc<>+4(SB), Z2; \
	VBROADCASTSS expc<>+8(SB), Z3; \
	VBROADCASTSS expc<>+12(SB), Z4; \
	VBROADCASTSS expc<>+16(SB), Z5; \
	VBROADCASTSS expc<>+20(SB), Z6; \
	VBROADCASTSS expc<>+24(SB), Z7; \
	VBROADCASTSS expc<>+28(SB), Z8; \
	VBROADCASTSS expc<>+32(SB), Z9; \
	VBROADCASTSS expc<>+36(SB), Z10; \
	VBROADCASTSS expc<>+40(SB), Z11

// EXP sets Z15 = exp(Z13), clobbering Z13, Z14, Z16 and K2; arguments
// below the clamp Z11 give 0.
#define EXP \
	VCMPPS $0x1d, Z11, Z13, K2; \
	VMAXPS Z11, Z13, Z13; \
	VMULPS Z1, Z13, Z14; \
	VRNDSCALEPS $0, Z14, Z14; \
	VFMADD231PS Z2, Z14, Z13; \
	VFMADD231PS Z3, Z14, Z13; \
	VMOVAPS Z4, Z15; \
	VFMADD213PS Z5, Z13, Z15; \
	VFMADD213PS Z6, Z13, Z15; \
	VFMADD213PS Z7, Z13, Z15; \
	VFMADD213PS Z8, Z13, Z15; \
	VFMADD213PS Z9, Z13, Z15; \
	VMULPS Z13, Z13, Z16; \
	VFMADD213PS Z13, Z16, Z15; \
	VADDPS Z10, Z15, Z15; \
	VSCALEFPS Z14, Z15, Z15; \
	VMOVAPS.Z Z15, K2, Z15

// func expSubAVX512(x *float32, n int, m float32, sums *[16]float32)
// x[i] = exp(x[i]-m) for i < n; per-lane sums of the results go to sums.
TEXT ·expSubAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Z0
	MOVQ sums+24(FP), DI
	LOADEXP
	VPXORD Z12, Z12, Z12
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	JZ expsub_tail

expsub_loop:
	VMOVUPS (SI), Z13
	VSUBPS Z0, Z13, Z13
	EXP
	VMOVUPS Z15, (SI)
	VADDPS Z15, Z12, Z12
	ADDQ $64, SI
	DECQ CX
	JNZ expsub_loop

expsub_tail:
	TESTQ BX, BX
	JZ expsub_done
	MOVL $1, AX
	MOVQ BX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z13
	VSUBPS Z0, Z13, Z13
	EXP
	VMOVUPS Z15, K1, (SI)
	VADDPS Z15, Z12, K1, Z12

expsub_done:
	VMOVUPS Z12, (DI)
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int, out *[16]float32)
// Per-lane maxima of x[0:n] (n >= 16) go to out.
TEXT ·maxAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	VMOVUPS (SI), Z0
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	DECQ CX
	JZ max_tail

max_loop:
	ADDQ $64, SI
	VMAXPS (SI), Z0, Z0
	DECQ CX
	JNZ max_loop

max_tail:
	TESTQ BX, BX
	JZ max_done
	MOVL $1, AX
	MOVQ BX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMAXPS 64(SI), Z0, K1, Z0

max_done:
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// Erf constants (Abramowitz-Stegun 7.1.26, as torch's vectorised erf), 1/sqrt(2),
// 0.5, the sign and magnitude masks, and -16: beyond |z| = 4 erf is ±1 in
// float32, so exp(-z²) is clamped at exp(-16) and never goes denormal.
DATA erfc<>+0(SB)/4, $0x3ea7ba05
DATA erfc<>+4(SB)/4, $0x3e827906
DATA erfc<>+8(SB)/4, $0xbe91a98e
DATA erfc<>+12(SB)/4, $0x3fb5f0e3
DATA erfc<>+16(SB)/4, $0xbfba00e3
DATA erfc<>+20(SB)/4, $0x3f87dc22
DATA erfc<>+24(SB)/4, $0x3f3504f3
DATA erfc<>+28(SB)/4, $0x3f000000
DATA erfc<>+32(SB)/4, $0x80000000
DATA erfc<>+36(SB)/4, $0x7fffffff
DATA erfc<>+40(SB)/4, $0xc1800000
GLOBL erfc<>(SB), RODATA|NOPTR, $44

// func siluAVX512(dst, src *float32, n int, s float32)
// dst[i] = x/(1+exp(-s*x)) with x = src[i], for n a multiple of 16.
TEXT ·siluAVX512(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z17
	LOADEXP
	VPXORD Z18, Z18, Z18
	SHRQ $4, CX
	JZ silu_done

silu_loop:
	VMOVUPS (SI), Z12
	VMULPS Z17, Z12, Z13
	VSUBPS Z13, Z18, Z13
	EXP
	VADDPS Z10, Z15, Z15
	VDIVPS Z15, Z12, Z12
	VMOVUPS Z12, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ silu_loop

silu_done:
	VZEROUPPER
	RET

// func geluAVX512(dst, src *float32, n int)
// dst[i] = x*0.5*(1+erf(x/sqrt(2))) with x = src[i], for n a multiple of 16.
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOADEXP
	VBROADCASTSS erfc<>+0(SB), Z18
	VBROADCASTSS erfc<>+4(SB), Z19
	VBROADCASTSS erfc<>+8(SB), Z20
	VBROADCASTSS erfc<>+12(SB), Z21
	VBROADCASTSS erfc<>+16(SB), Z22
	VBROADCASTSS erfc<>+20(SB), Z23
	VBROADCASTSS erfc<>+24(SB), Z24
	VBROADCASTSS erfc<>+28(SB), Z25
	VBROADCASTSS erfc<>+32(SB), Z26
	VBROADCASTSS erfc<>+36(SB), Z27
	VBROADCASTSS erfc<>+40(SB), Z11
	SHRQ $4, CX
	JZ gelu_done

gelu_loop:
	VMOVUPS (SI), Z12
	VMULPS Z24, Z12, Z28
	VPANDD Z26, Z28, Z29
	VPANDD Z27, Z28, Z30
	VMOVAPS Z18, Z31
	VFMADD213PS Z10, Z30, Z31
	VDIVPS Z31, Z10, Z31
	VMOVAPS Z23, Z17
	VFMADD213PS Z22, Z31, Z17
	VFMADD213PS Z21, Z31, Z17
	VFMADD213PS Z20, Z31, Z17
	VFMADD213PS Z19, Z31, Z17
	VMULPS Z28, Z28, Z13
	VPXORD Z26, Z13, Z13
	EXP
	VMULPS Z31, Z15, Z15
	VFNMADD213PS Z10, Z17, Z15
	VPXORD Z29, Z15, Z15
	VADDPS Z10, Z15, Z15
	VMULPS Z25, Z12, Z12
	VMULPS Z15, Z12, Z12
	VMOVUPS Z12, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ gelu_loop

gelu_done:
	VZEROUPPER
	RET

// func momentsAVX512(x *float32, n int, c float64, out *[16]float64)
// Per-lane sums of x (out[0:8]) and of (x-c)² (out[8:16]) over x[0:n] in
// float64, for n a multiple of 16.
TEXT ·momentsAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD c+16(FP), Z6
	MOVQ out+24(FP), DI
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	SHRQ $4, CX
	JZ moments_done

moments_loop:
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VSUBPD Z6, Z4, Z4
	VSUBPD Z6, Z5, Z5
	VFMADD231PD Z4, Z4, Z2
	VFMADD231PD Z5, Z5, Z3
	ADDQ $64, SI
	DECQ CX
	JNZ moments_loop

moments_done:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VMOVUPD Z0, (DI)
	VMOVUPD Z2, 64(DI)
	VZEROUPPER
	RET

// func affineAVX512(dst, src *float32, n int, s, b float32)
// dst[i] = src[i]*s + b for n a multiple of 16.
TEXT ·affineAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z1
	VBROADCASTSS b+28(FP), Z2
	SHRQ $4, CX
	JZ affine_done

affine_loop:
	VMOVUPS (SI), Z0
	VFMADD213PS Z2, Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ affine_loop

affine_done:
	VZEROUPPER
	RET

// func softmaxRowsAVX512(s *float32, lds, rows, n int, inv *float32)
// For each of rows rows of s (stride lds): x = exp(x - max(x)) over the
// first n entries in place, and inv[r] = 1/sum. n >= 1.
TEXT ·softmaxRowsAVX512(SB), NOSPLIT, $0-40
	MOVQ s+0(FP), R8
	MOVQ lds+8(FP), R9
	SHLQ $2, R9
	MOVQ rows+16(FP), R10
	MOVQ n+24(FP), R11
	MOVQ inv+32(FP), DI
	LOADEXP
	// K1: mask of the n%16 tail lanes.
	MOVQ R11, BX
	ANDQ $15, BX
	MOVL $1, AX
	MOVQ BX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	TESTQ R10, R10
	JZ smr_done

smr_row:
	// Row maximum.
	MOVQ R8, SI
	VBROADCASTSS (SI), Z17
	MOVQ R11, CX
	SHRQ $4, CX
	JZ smr_maxtail

smr_maxloop:
	VMAXPS (SI), Z17, Z17
	ADDQ $64, SI
	DECQ CX
	JNZ smr_maxloop

smr_maxtail:
	TESTQ BX, BX
	JZ smr_maxred
	VMAXPS (SI), Z17, K1, Z17

smr_maxred:
	VMOVAPS Z17, Z13
	VEXTRACTF64X4 $1, Z13, Y14
	VMAXPS Y14, Y13, Y13
	VEXTRACTF128 $1, Y13, X14
	VMAXPS X14, X13, X13
	VPERMILPS $0x4e, X13, X14
	VMAXPS X14, X13, X13
	VPERMILPS $0xb1, X13, X14
	VMAXPS X14, X13, X13
	VBROADCASTSS X13, Z0

	// exp(x - max) and the sum.
	VPXORD Z12, Z12, Z12
	MOVQ R8, SI
	MOVQ R11, CX
	SHRQ $4, CX
	JZ smr_exptail

smr_exploop:
	VMOVUPS (SI), Z13
	VSUBPS Z0, Z13, Z13
	EXP
	VMOVUPS Z15, (SI)
	VADDPS Z15, Z12, Z12
	ADDQ $64, SI
	DECQ CX
	JNZ smr_exploop

smr_exptail:
	TESTQ BX, BX
	JZ smr_sumred
	VMOVUPS.Z (SI), K1, Z13
	VSUBPS Z0, Z13, Z13
	EXP
	VMOVUPS Z15, K1, (SI)
	VADDPS Z15, Z12, K1, Z12

smr_sumred:
	VMOVAPS Z12, Z13
	VEXTRACTF64X4 $1, Z13, Y14
	VADDPS Y14, Y13, Y13
	VEXTRACTF128 $1, Y13, X14
	VADDPS X14, X13, X13
	VPERMILPS $0x4e, X13, X14
	VADDPS X14, X13, X13
	VPERMILPS $0xb1, X13, X14
	VADDPS X14, X13, X13
	VMOVSS expc<>+36(SB), X14
	VDIVSS X13, X14, X14
	VMOVSS X14, (DI)
	ADDQ $4, DI
	ADDQ R9, R8
	DECQ R10
	JNZ smr_row

smr_done:
	VZEROUPPER
	RET

// func scaleRowsAVX512(dst *float32, ldd int, src *float32, lds, rows, n int, s *float32)
// dst row r = src row r * s[r] over n entries (row strides ldd and lds).
TEXT ·scaleRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), R8
	MOVQ ldd+8(FP), R9
	SHLQ $2, R9
	MOVQ src+16(FP), R10
	MOVQ lds+24(FP), R11
	SHLQ $2, R11
	MOVQ rows+32(FP), R12
	MOVQ n+40(FP), R13
	MOVQ s+48(FP), DX
	MOVQ R13, BX
	ANDQ $15, BX
	MOVL $1, AX
	MOVQ BX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	TESTQ R12, R12
	JZ scr_done

scr_row:
	VBROADCASTSS (DX), Z0
	MOVQ R8, DI
	MOVQ R10, SI
	MOVQ R13, CX
	SHRQ $4, CX
	JZ scr_tail

scr_loop:
	VMULPS (SI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ scr_loop

scr_tail:
	TESTQ BX, BX
	JZ scr_next
	VMULPS.Z (SI), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)

scr_next:
	ADDQ $4, DX
	ADDQ R9, R8
	ADDQ R11, R10
	DECQ R12
	JNZ scr_row

scr_done:
	VZEROUPPER
	RET

// func normAffineAVX512(dst, src, gam, bet *float32, n int, m, r float32)
// dst[i] = (src[i]-m)*r*g[i] + b[i] for i < n.
TEXT ·normAffineAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ gam+16(FP), R8
	MOVQ bet+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Z0
	VBROADCASTSS r+44(FP), Z1
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	JZ na_tail

na_loop:
	VMOVUPS (SI), Z2
	VSUBPS Z0, Z2, Z2
	VMULPS Z1, Z2, Z2
	VMULPS (R8), Z2, Z2
	VADDPS (R9), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ na_loop

na_tail:
	TESTQ BX, BX
	JZ na_done
	MOVL $1, AX
	MOVQ BX, CX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z2
	VMOVUPS.Z (R8), K1, Z3
	VMOVUPS.Z (R9), K1, Z4
	VSUBPS Z0, Z2, Z2
	VMULPS Z1, Z2, Z2
	VMULPS Z3, Z2, Z2
	VADDPS Z4, Z2, Z2
	VMOVUPS Z2, K1, (DI)

na_done:
	VZEROUPPER
	RET
