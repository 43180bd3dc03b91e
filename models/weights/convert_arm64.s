//go:build arm64 && !purego

#include "textflag.h"

// The Go assembler has no mnemonics for FCVTL/FCVTL2 and SHLL/SHLL2; they
// are written as WORDs with the instruction in a comment.

// func f16ToF32F16C(dst *float32, src *uint16, n int)
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CMP  $32, R2
	BLT  tail8

loop32:
	VLD1.P 64(R1), [V0.H8, V1.H8, V2.H8, V3.H8]
	WORD   $0x0e217810                           // FCVTL  V16.4S, V0.4H
	WORD   $0x4e217811                           // FCVTL2 V17.4S, V0.8H
	WORD   $0x0e217832                           // FCVTL  V18.4S, V1.4H
	WORD   $0x4e217833                           // FCVTL2 V19.4S, V1.8H
	WORD   $0x0e217854                           // FCVTL  V20.4S, V2.4H
	WORD   $0x4e217855                           // FCVTL2 V21.4S, V2.8H
	WORD   $0x0e217876                           // FCVTL  V22.4S, V3.4H
	WORD   $0x4e217877                           // FCVTL2 V23.4S, V3.8H
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R0)
	SUB    $32, R2, R2
	CMP    $32, R2
	BGE    loop32

tail8:
	CBZ R2, done

loop8:
	VLD1.P 16(R1), [V0.H8]
	WORD   $0x0e217810                 // FCVTL  V16.4S, V0.4H
	WORD   $0x4e217811                 // FCVTL2 V17.4S, V0.8H
	VST1.P [V16.S4, V17.S4], 32(R0)
	SUBS   $8, R2, R2
	BNE    loop8

done:
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CMP  $32, R2
	BLT  btail8

bloop32:
	VLD1.P 64(R1), [V0.H8, V1.H8, V2.H8, V3.H8]
	WORD   $0x2e613810                           // SHLL  V16.4S, V0.4H, #16
	WORD   $0x6e613811                           // SHLL2 V17.4S, V0.8H, #16
	WORD   $0x2e613832                           // SHLL  V18.4S, V1.4H, #16
	WORD   $0x6e613833                           // SHLL2 V19.4S, V1.8H, #16
	WORD   $0x2e613854                           // SHLL  V20.4S, V2.4H, #16
	WORD   $0x6e613855                           // SHLL2 V21.4S, V2.8H, #16
	WORD   $0x2e613876                           // SHLL  V22.4S, V3.4H, #16
	WORD   $0x6e613877                           // SHLL2 V23.4S, V3.8H, #16
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R0)
	SUB    $32, R2, R2
	CMP    $32, R2
	BGE    bloop32

btail8:
	CBZ R2, bdone

bloop8:
	VLD1.P 16(R1), [V0.H8]
	WORD   $0x2e613810                 // SHLL  V16.4S, V0.4H, #16
	WORD   $0x6e613811                 // SHLL2 V17.4S, V0.8H, #16
	VST1.P [V16.S4, V17.S4], 32(R0)
	SUBS   $8, R2, R2
	BNE    bloop8

bdone:
	RET
