package tensor

import (
	"math"
	"sync"
	"unsafe"
)

// Bfloat16 GEMMs share the float32 driver (gemm_blocked.go) with pairs
// set: both operands are rounded to bfloat16 (nearest even) while they are
// packed, products are summed in float32 and C stays float32. Their Sgemm
// therefore equals a float32 product of the bfloat16-rounded operands up
// to float32 summation error.
//
// Linear and Conv2D use one for bfloat16 weights (NewBF16) when the CPU
// has a bfloat16 instruction ("avx512bf16", VDPBF16PS); elsewhere such
// weights are widened to float32 per call and the float32 default runs,
// so only their storage is bfloat16. The portable "gobf16" kernel emulates
// VDPBF16PS in Go: it exists to test the driver's pair layout on any CPU
// and is never chosen by default.

var bf16Reg struct {
	sync.RWMutex
	impls []Gemm
	best  Gemm // nil: widen bfloat16 weights and use the float32 default
}

// registerBF16Gemm adds a bfloat16 implementation; with compute set it
// becomes the one Linear and Conv2D use.
func registerBF16Gemm(g *blockedGemm, compute bool) {
	bf16Reg.Lock()
	defer bf16Reg.Unlock()
	bf16Reg.impls = append(bf16Reg.impls, g)
	if compute {
		bf16Reg.best = g
	}
}

// BF16GemmImplementations lists the bfloat16 GEMMs usable on this machine,
// the portable one first.
func BF16GemmImplementations() []Gemm {
	bf16Reg.RLock()
	defer bf16Reg.RUnlock()
	return append([]Gemm(nil), bf16Reg.impls...)
}

// BF16Gemm returns the bfloat16 GEMM that Linear and Conv2D run for
// bfloat16 weights, or nil when they widen the weights to float32
// instead (no bfloat16 instruction on this CPU).
func BF16Gemm() Gemm {
	bf16Reg.RLock()
	defer bf16Reg.RUnlock()
	return bf16Reg.best
}

// SetBF16Gemm makes g (one of BF16GemmImplementations, or nil for the
// float32 fallback) the GEMM for bfloat16 weights and returns the previous
// one. It is meant for benchmarks and tests.
func SetBF16Gemm(g Gemm) Gemm {
	bf16Reg.Lock()
	defer bf16Reg.Unlock()
	old := bf16Reg.best
	bf16Reg.best = g
	return old
}

// bf16Driver returns the blocked driver for w's products: the bfloat16
// one when w holds bfloat16 bits and a bfloat16 kernel is in use,
// otherwise the float32 default (nil when that is not a blocked driver).
func bf16Driver(w *Dense) *blockedGemm {
	if IsBF16(w) {
		if g, ok := BF16Gemm().(*blockedGemm); ok {
			return g
		}
	}
	g, _ := DefaultGemm().(*blockedGemm)
	return g
}

// goBF16Kernel4x4 is the portable bfloat16 micro-kernel: a 4×4 tile over
// kc pairs, each step adding the high products and then the low ones as
// VDPBF16PS does (the products of two bfloat16 values are exact in
// float32; denormal inputs are not flushed here).
func goBF16Kernel4x4(kc int, ap, bp, cp *float32, ldc int) {
	a := unsafe.Slice((*uint32)(unsafe.Pointer(ap)), 4*kc)
	b := unsafe.Slice((*uint32)(unsafe.Pointer(bp)), 4*kc)
	var acc [4][4]float32
	for q := 0; q < kc; q++ {
		aq, bq := a[4*q:4*q+4], b[4*q:4*q+4]
		for i := 0; i < 4; i++ {
			alo, ahi := math.Float32frombits(aq[i]<<16), math.Float32frombits(aq[i]&0xffff0000)
			for j := 0; j < 4; j++ {
				blo, bhi := math.Float32frombits(bq[j]<<16), math.Float32frombits(bq[j]&0xffff0000)
				s := acc[i][j] + float32(ahi*bhi)
				acc[i][j] = s + float32(alo*blo)
			}
		}
	}
	c := unsafe.Slice(cp, 3*ldc+4)
	for i := 0; i < 4; i++ {
		r := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j := range r {
			r[j] += acc[i][j]
		}
	}
}

func init() {
	registerBF16Gemm(&blockedGemm{name: "gobf16", mr: 4, nr: 4, mc: 128, kc: 256, nc: 2048, kern: goBF16Kernel4x4, pairs: true}, false)
}
