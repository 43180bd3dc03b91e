//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// bf16Kernel14x32AVX512 is the AVX512_BF16 micro-kernel: a 14×32 tile in
// 28 zmm accumulators, kc pairs of bfloat16 per operand (see pairUp), one
// VDPBF16PS per accumulator and pair, so two products per lane and
// instruction where VFMADD231PS does one.
//
//go:noescape
func bf16Kernel14x32AVX512(kc int, a, b, c *float32, ldc int)

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16 {
		registerBF16Gemm(&blockedGemm{name: "avx512bf16", mr: 14, nr: 32, mc: 168, kc: 512, nc: 4096,
			kern: bf16Kernel14x32AVX512, pairs: true}, true)
	}
}
