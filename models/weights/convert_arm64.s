//go:build arm64 && !purego

#include "textflag.h"

// The Go assembler has no FCVTL: it is emitted as WORDs, each followed by
// its mnemonic in a comment.

// func f16ToF32F16C(dst *float32, src *uint16, n int)
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CMP  $32, R2
	BLT  tail8

loop32:
	VLD1.P 64(R1), [V0.H8, V1.H8, V2.H8, V3.H8]
	WORD   $0x0e217804 // FCVTL  V4.4S, V0.4H
	WORD   $0x4e217805 // FCVTL2 V5.4S, V0.8H
	WORD   $0x0e217826 // FCVTL  V6.4S, V1.4H
	WORD   $0x4e217827 // FCVTL2 V7.4S, V1.8H
	WORD   $0x0e217850 // FCVTL  V16.4S, V2.4H
	WORD   $0x4e217851 // FCVTL2 V17.4S, V2.8H
	WORD   $0x0e217872 // FCVTL  V18.4S, V3.4H
	WORD   $0x4e217873 // FCVTL2 V19.4S, V3.8H
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	SUB    $32, R2, R2
	CMP    $32, R2
	BGE    loop32

tail8:
	CMP $8, R2
	BLT done

loop8:
	VLD1.P 16(R1), [V0.H8]
	WORD   $0x0e217804 // FCVTL  V4.4S, V0.4H
	WORD   $0x4e217805 // FCVTL2 V5.4S, V0.8H
	VST1.P [V4.S4, V5.S4], 32(R0)
	SUB    $8, R2, R2
	CMP    $8, R2
	BGE    loop8

done:
	RET
