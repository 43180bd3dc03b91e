//go:build amd64

package tensor

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// sgemmKernel14x32AVX512 is the AVX-512 micro-kernel: a 14×32 tile held in
// 28 zmm accumulators.
//
//go:noescape
func sgemmKernel14x32AVX512(kc int, a, b, c *float32, ldc int)

// sgemmKernel6x16AVX2 is the AVX2+FMA micro-kernel: a 6×16 tile held in 12
// ymm accumulators.
//
//go:noescape
func sgemmKernel6x16AVX2(kc int, a, b, c *float32, ldc int)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		registerGemm(&blockedGemm{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, kern: sgemmKernel6x16AVX2}, 10)
	}
	if cpu.X86.HasAVX512F {
		registerGemm(&blockedGemm{name: "avx512", mr: 14, nr: 32, mc: 168, kc: 256, nc: 4096, kern: sgemmKernel14x32AVX512}, 20)
	}
}
