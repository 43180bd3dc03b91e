//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA versions of the vectorised exp, softmax, SiLU and GELU kernels
// (exp_amd64.s), eight lanes at a time, constants as 32-byte vectors.

// Constants, eight copies each: exp (log2 e, -ln2 high/low, degree-5
// polynomial, 1, clamps -80/88, -16 for erf), erf (p, a1..a5), 1/sqrt(2),
// 0.5, sign and magnitude masks.
DATA c2<>+0(SB)/4, $0x3fb8aa3b
DATA c2<>+4(SB)/4, $0x3fb8aa3b
DATA c2<>+8(SB)/4, $0x3fb8aa3b
DATA c2<>+12(SB)/4, $0x3fb8aa3b
DATA c2<>+16(SB)/4, $0x3fb8aa3b
DATA c2<>+20(SB)/4, $0x3fb8aa3b
DATA c2<>+24(SB)/4, $0x3fb8aa3b
DATA c2<>+28(SB)/4, $0x3fb8aa3b
DATA c2<>+32(SB)/4, $0xbf318000
DATA c2<>+36(SB)/4, $0xbf318000
DATA c2<>+40(SB)/4, $0xbf318000
DATA c2<>+44(SB)/4, $0xbf318000
DATA c2<>+48(SB)/4, $0xbf318000
DATA c2<>+52(SB)/4, $0xbf318000
DATA c2<>+56(SB)/4, $0xbf318000
DATA c2<>+60(SB)/4, $0xbf318000
DATA c2<>+64(SB)/4, $0x395e8083
DATA c2<>+68(SB)/4, $0x395e8083
DATA c2<>+72(SB)/4, $0x395e8083
DATA c2<>+76(SB)/4, $0x395e8083
DATA c2<>+80(SB)/4, $0x395e8083
DATA c2<>+84(SB)/4, $0x395e8083
DATA c2<>+88(SB)/4, $0x395e8083
DATA c2<>+92(SB)/4, $0x395e8083
DATA c2<>+96(SB)/4, $0x39506967
DATA c2<>+100(SB)/4, $0x39506967
DATA c2<>+104(SB)/4, $0x39506967
DATA c2<>+108(SB)/4, $0x39506967
DATA c2<>+112(SB)/4, $0x39506967
DATA c2<>+116(SB)/4, $0x39506967
DATA c2<>+120(SB)/4, $0x39506967
DATA c2<>+124(SB)/4, $0x39506967
DATA c2<>+128(SB)/4, $0x3ab743ce
DATA c2<>+132(SB)/4, $0x3ab743ce
DATA c2<>+136(SB)/4, $0x3ab743ce
DATA c2<>+140(SB)/4, $0x3ab743ce
DATA c2<>+144(SB)/4, $0x3ab743ce
DATA c2<>+148(SB)/4, $0x3ab743ce
DATA c2<>+152(SB)/4, $0x3ab743ce
DATA c2<>+156(SB)/4, $0x3ab743ce
DATA c2<>+160(SB)/4, $0x3c088908
DATA c2<>+164(SB)/4, $0x3c088908
DATA c2<>+168(SB)/4, $0x3c088908
DATA c2<>+172(SB)/4, $0x3c088908
DATA c2<>+176(SB)/4, $0x3c088908
DATA c2<>+180(SB)/4, $0x3c088908
DATA c2<>+184(SB)/4, $0x3c088908
DATA c2<>+188(SB)/4, $0x3c088908
DATA c2<>+192(SB)/4, $0x3d2aa9c1
DATA c2<>+196(SB)/4, $0x3d2aa9c1
DATA c2<>+200(SB)/4, $0x3d2aa9c1
DATA c2<>+204(SB)/4, $0x3d2aa9c1
DATA c2<>+208(SB)/4, $0x3d2aa9c1
DATA c2<>+212(SB)/4, $0x3d2aa9c1
DATA c2<>+216(SB)/4, $0x3d2aa9c1
DATA c2<>+220(SB)/4, $0x3d2aa9c1
DATA c2<>+224(SB)/4, $0x3e2aaaaa
DATA c2<>+228(SB)/4, $0x3e2aaaaa
DATA c2<>+232(SB)/4, $0x3e2aaaaa
DATA c2<>+236(SB)/4, $0x3e2aaaaa
DATA c2<>+240(SB)/4, $0x3e2aaaaa
DATA c2<>+244(SB)/4, $0x3e2aaaaa
DATA c2<>+248(SB)/4, $0x3e2aaaaa
DATA c2<>+252(SB)/4, $0x3e2aaaaa
DATA c2<>+256(SB)/4, $0x3f000000
DATA c2<>+260(SB)/4, $0x3f000000
DATA c2<>+264(SB)/4, $0x3f000000
DATA c2<>+268(SB)/4, $0x3f000000
DATA c2<>+272(SB)/4, $0x3f000000
DATA c2<>+276(SB)/4, $0x3f000000
DATA c2<>+280(SB)/4, $0x3f000000
DATA c2<>+284(SB)/4, $0x3f000000
DATA c2<>+288(SB)/4, $0x3f800000
DATA c2<>+292(SB)/4, $0x3f800000
DATA c2<>+296(SB)/4, $0x3f800000
DATA c2<>+300(SB)/4, $0x3f800000
DATA c2<>+304(SB)/4, $0x3f800000
DATA c2<>+308(SB)/4, $0x3f800000
DATA c2<>+312(SB)/4, $0x3f800000
DATA c2<>+316(SB)/4, $0x3f800000
DATA c2<>+320(SB)/4, $0xc2a00000
DATA c2<>+324(SB)/4, $0xc2a00000
DATA c2<>+328(SB)/4, $0xc2a00000
DATA c2<>+332(SB)/4, $0xc2a00000
DATA c2<>+336(SB)/4, $0xc2a00000
DATA c2<>+340(SB)/4, $0xc2a00000
DATA c2<>+344(SB)/4, $0xc2a00000
DATA c2<>+348(SB)/4, $0xc2a00000
DATA c2<>+352(SB)/4, $0x42b00000
DATA c2<>+356(SB)/4, $0x42b00000
DATA c2<>+360(SB)/4, $0x42b00000
DATA c2<>+364(SB)/4, $0x42b00000
DATA c2<>+368(SB)/4, $0x42b00000
DATA c2<>+372(SB)/4, $0x42b00000
DATA c2<>+376(SB)/4, $0x42b00000
DATA c2<>+380(SB)/4, $0x42b00000
DATA c2<>+384(SB)/4, $0xc1800000
DATA c2<>+388(SB)/4, $0xc1800000
DATA c2<>+392(SB)/4, $0xc1800000
DATA c2<>+396(SB)/4, $0xc1800000
DATA c2<>+400(SB)/4, $0xc1800000
DATA c2<>+404(SB)/4, $0xc1800000
DATA c2<>+408(SB)/4, $0xc1800000
DATA c2<>+412(SB)/4, $0xc1800000
DATA c2<>+416(SB)/4, $0x3ea7ba05
DATA c2<>+420(SB)/4, $0x3ea7ba05
DATA c2<>+424(SB)/4, $0x3ea7ba05
DATA c2<>+428(SB)/4, $0x3ea7ba05
DATA c2<>+432(SB)/4, $0x3ea7ba05
DATA c2<>+436(SB)/4, $0x3ea7ba05
DATA c2<>+440(SB)/4, $0x3ea7ba05
DATA c2<>+444(SB)/4, $0x3ea7ba05
DATA c2<>+448(SB)/4, $0x3e827906
DATA c2<>+452(SB)/4, $0x3e827906
DATA c2<>+456(SB)/4, $0x3e827906
DATA c2<>+460(SB)/4, $0x3e827906
DATA c2<>+464(SB)/4, $0x3e827906
DATA c2<>+468(SB)/4, $0x3e827906
DATA c2<>+472(SB)/4, $0x3e827906
DATA c2<>+476(SB)/4, $0x3e827906
DATA c2<>+480(SB)/4, $0xbe91a98e
DATA c2<>+484(SB)/4, $0xbe91a98e
DATA c2<>+488(SB)/4, $0xbe91a98e
DATA c2<>+492(SB)/4, $0xbe91a98e
DATA c2<>+496(SB)/4, $0xbe91a98e
DATA c2<>+500(SB)/4, $0xbe91a98e
DATA c2<>+504(SB)/4, $0xbe91a98e
DATA c2<>+508(SB)/4, $0xbe91a98e
DATA c2<>+512(SB)/4, $0x3fb5f0e3
DATA c2<>+516(SB)/4, $0x3fb5f0e3
DATA c2<>+520(SB)/4, $0x3fb5f0e3
DATA c2<>+524(SB)/4, $0x3fb5f0e3
DATA c2<>+528(SB)/4, $0x3fb5f0e3
DATA c2<>+532(SB)/4, $0x3fb5f0e3
DATA c2<>+536(SB)/4, $0x3fb5f0e3
DATA c2<>+540(SB)/4, $0x3fb5f0e3
DATA c2<>+544(SB)/4, $0xbfba00e3
DATA c2<>+548(SB)/4, $0xbfba00e3
DATA c2<>+552(SB)/4, $0xbfba00e3
DATA c2<>+556(SB)/4, $0xbfba00e3
DATA c2<>+560(SB)/4, $0xbfba00e3
DATA c2<>+564(SB)/4, $0xbfba00e3
DATA c2<>+568(SB)/4, $0xbfba00e3
DATA c2<>+572(SB)/4, $0xbfba00e3
DATA c2<>+576(SB)/4, $0x3f87dc22
DATA c2<>+580(SB)/4, $0x3f87dc22
DATA c2<>+584(SB)/4, $0x3f87dc22
DATA c2<>+588(SB)/4, $0x3f87dc22
DATA c2<>+592(SB)/4, $0x3f87dc22
DATA c2<>+596(SB)/4, $0x3f87dc22
DATA c2<>+600(SB)/4, $0x3f87dc22
DATA c2<>+604(SB)/4, $0x3f87dc22
DATA c2<>+608(SB)/4, $0x3f3504f3
DATA c2<>+612(SB)/4, $0x3f3504f3
DATA c2<>+616(SB)/4, $0x3f3504f3
DATA c2<>+620(SB)/4, $0x3f3504f3
DATA c2<>+624(SB)/4, $0x3f3504f3
DATA c2<>+628(SB)/4, $0x3f3504f3
DATA c2<>+632(SB)/4, $0x3f3504f3
DATA c2<>+636(SB)/4, $0x3f3504f3
DATA c2<>+640(SB)/4, $0x3f000000
DATA c2<>+644(SB)/4, $0x3f000000
DATA c2<>+648(SB)/4, $0x3f000000
DATA c2<>+652(SB)/4, $0x3f000000
DATA c2<>+656(SB)/4, $0x3f000000
DATA c2<>+660(SB)/4, $0x3f000000
DATA c2<>+664(SB)/4, $0x3f000000
DATA c2<>+668(SB)/4, $0x3f000000
DATA c2<>+672(SB)/4, $0x80000000
DATA c2<>+676(SB)/4, $0x80000000
DATA c2<>+680(SB)/4, $0x80000000
DATA c2<>+684(SB)/4, $0x80000000
DATA c2<>+688(SB)/4, $0x80000000
DATA c2<>+692(SB)/4, $0x80000000
DATA c2<>+696(SB)/4, $0x80000000
DATA c2<>+700(SB)/4, $0x80000000
DATA c2<>+704(SB)/4, $0x7fffffff
DATA c2<>+708(SB)/4, $0x7fffffff
DATA c2<>+712(SB)/4, $0x7fffffff
DATA c2<>+716(SB)/4, $0x7fffffff
DATA c2<>+720(SB)/4, $0x7fffffff
DATA c2<>+724(SB)/4, $0x7fffffff
DATA c2<>+728(SB)/4, $0x7fffffff
DATA c2<>+732(SB)/4, $0x7fffffff
GLOBL c2<>(SB), RODATA|NOPTR, $736

// EXP2(lo) sets Y5 = exp(Y3) for lo <= Y3 <= 88 (0 below lo), clobbering Y3,
// Y4, Y6 and Y7.
#define EXP2(lo) \
	VCMPPS $0x1d, lo, Y3, Y7; \
	VMAXPS lo, Y3, Y3; \
	VMINPS c2<>+352(SB), Y3, Y3; \
	VMULPS c2<>+0(SB), Y3, Y4; \
	VROUNDPS $0, Y4, Y4; \
	VFMADD231PS c2<>+32(SB), Y4, Y3; \
	VFMADD231PS c2<>+64(SB), Y4, Y3; \
	VMOVAPS c2<>+96(SB), Y5; \
	VFMADD213PS c2<>+128(SB), Y3, Y5; \
	VFMADD213PS c2<>+160(SB), Y3, Y5; \
	VFMADD213PS c2<>+192(SB), Y3, Y5; \
	VFMADD213PS c2<>+224(SB), Y3, Y5; \
	VFMADD213PS c2<>+256(SB), Y3, Y5; \
	VMULPS Y3, Y3, Y6; \
	VFMADD213PS Y3, Y6, Y5; \
	VADDPS c2<>+288(SB), Y5, Y5; \
	VCVTPS2DQ Y4, Y6; \
	VPSLLD $23, Y6, Y6; \
	VPADDD Y6, Y5, Y5; \
	VANDPS Y7, Y5, Y5

// func expSubAVX2(x *float32, n int, m float32, sums *[8]float32)
// x[i] = exp(x[i]-m) for i < n (a multiple of 8); per-lane sums go to sums.
TEXT ·expSubAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y0
	MOVQ sums+24(FP), DI
	VXORPS Y1, Y1, Y1
	SHRQ $3, CX
	JZ expsub2_done

expsub2_loop:
	VMOVUPS (SI), Y3
	VSUBPS Y0, Y3, Y3
	EXP2(c2<>+320(SB))
	VMOVUPS Y5, (SI)
	VADDPS Y5, Y1, Y1
	ADDQ $32, SI
	DECQ CX
	JNZ expsub2_loop

expsub2_done:
	VMOVUPS Y1, (DI)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int, out *[8]float32)
// Per-lane maxima of x[0:n] (n a positive multiple of 8) go to out.
TEXT ·maxAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	VMOVUPS (SI), Y0
	SHRQ $3, CX
	DECQ CX
	JZ max2_done

max2_loop:
	ADDQ $32, SI
	VMAXPS (SI), Y0, Y0
	DECQ CX
	JNZ max2_loop

max2_done:
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET

// func siluAVX2(dst, src *float32, n int, s float32)
// dst[i] = x/(1+exp(-s*x)) with x = src[i], for n a multiple of 8.
TEXT ·siluAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y1
	VXORPS Y2, Y2, Y2
	SHRQ $3, CX
	JZ silu2_done

silu2_loop:
	VMOVUPS (SI), Y0
	VMULPS Y1, Y0, Y3
	VSUBPS Y3, Y2, Y3
	EXP2(c2<>+320(SB))
	VADDPS c2<>+288(SB), Y5, Y5
	VDIVPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ silu2_loop

silu2_done:
	VZEROUPPER
	RET

// func geluAVX2(dst, src *float32, n int)
// dst[i] = x*0.5*(1+erf(x/sqrt(2))) with x = src[i], for n a multiple of 8.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ gelu2_done

gelu2_loop:
	VMOVUPS (SI), Y0
	VMULPS c2<>+608(SB), Y0, Y1
	VANDPS c2<>+672(SB), Y1, Y2
	VANDPS c2<>+704(SB), Y1, Y8
	VMOVAPS c2<>+416(SB), Y9
	VFMADD213PS c2<>+288(SB), Y8, Y9
	VMOVAPS c2<>+288(SB), Y10
	VDIVPS Y9, Y10, Y9
	VMOVAPS c2<>+576(SB), Y10
	VFMADD213PS c2<>+544(SB), Y9, Y10
	VFMADD213PS c2<>+512(SB), Y9, Y10
	VFMADD213PS c2<>+480(SB), Y9, Y10
	VFMADD213PS c2<>+448(SB), Y9, Y10
	VMULPS Y1, Y1, Y3
	VXORPS c2<>+672(SB), Y3, Y3
	EXP2(c2<>+384(SB))
	VMULPS Y9, Y5, Y5
	VFNMADD213PS c2<>+288(SB), Y10, Y5
	VXORPS Y2, Y5, Y5
	VADDPS c2<>+288(SB), Y5, Y5
	VMULPS c2<>+640(SB), Y0, Y0
	VMULPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ gelu2_loop

gelu2_done:
	VZEROUPPER
	RET
