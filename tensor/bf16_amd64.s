//go:build amd64 && !purego

#include "textflag.h"

// func pairRowsAVX2(dst *uint32, lo, hi *float32, n int)
//
// dst[i] = bf16(lo[i]) | bf16(hi[i])<<16 for n (a positive multiple of 8)
// values, bf16 rounding to nearest even as BF16Round: x + 0x7fff +
// ((x>>16)&1), NaNs made quiet (x | 0x400000) instead.
TEXT ·pairRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ lo+8(FP), SI
	MOVQ hi+16(FP), DX
	MOVQ n+24(FP), CX
	MOVL $1, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8   // 1
	MOVL $0x7fff, AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9   // rounding bias
	MOVL $0x7fffffff, AX
	VMOVD AX, X10
	VPBROADCASTD X10, Y10 // |x| mask
	MOVL $0x7f800000, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11 // infinity
	MOVL $0x00400000, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12 // quiet bit
	MOVL $0xffff0000, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13 // high half

loop:
	// low row: rounded, shifted down
	VMOVDQU   (SI), Y0
	VPSRLD    $16, Y0, Y1
	VPAND     Y8, Y1, Y1
	VPADDD    Y9, Y0, Y2
	VPADDD    Y1, Y2, Y2
	VPAND     Y10, Y0, Y3
	VPCMPGTD  Y11, Y3, Y3
	VPOR      Y12, Y0, Y4
	VPBLENDVB Y3, Y4, Y2, Y2
	VPSRLD    $16, Y2, Y2

	// high row: rounded, kept in the high half
	VMOVDQU   (DX), Y0
	VPSRLD    $16, Y0, Y1
	VPAND     Y8, Y1, Y1
	VPADDD    Y9, Y0, Y5
	VPADDD    Y1, Y5, Y5
	VPAND     Y10, Y0, Y3
	VPCMPGTD  Y11, Y3, Y3
	VPOR      Y12, Y0, Y4
	VPBLENDVB Y3, Y4, Y5, Y5
	VPAND     Y13, Y5, Y5

	VPOR    Y5, Y2, Y2
	VMOVDQU Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNE     loop
	VZEROUPPER
	RET
