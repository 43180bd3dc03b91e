//go:build amd64 && !purego

#include "textflag.h"

// func reluAVX(x *float32, n int)
// x[i] = max(0, x[i]) in place for n a multiple of 32. VMAXPS returns its
// second source when the operands are equal or either is NaN, so with x
// second a NaN and -0 stay as they are, as in the scalar loop.
TEXT ·reluAVX(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VXORPS Y4, Y4, Y4
	SHRQ $5, CX
	JZ relu_done

relu_loop:
	VMAXPS (DI), Y4, Y0
	VMAXPS 32(DI), Y4, Y1
	VMAXPS 64(DI), Y4, Y2
	VMAXPS 96(DI), Y4, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	DECQ CX
	JNZ relu_loop

relu_done:
	VZEROUPPER
	RET
