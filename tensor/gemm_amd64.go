//go:build amd64 && !purego

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

// sgemmKernel14x32AVX512Direct is sgemmKernel14x32AVX512 reading A
// unpacked, row i of the tile at a+i*lda.
//
//go:noescape
func sgemmKernel14x32AVX512Direct(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel6x16AVX2Direct is sgemmKernel6x16AVX2 reading A unpacked.
//
//go:noescape
func sgemmKernel6x16AVX2Direct(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel9x48AVX512Direct is a 9×48 unpacked-A tile (27 zmm
// accumulators), for products whose width is 40 or 48.
//
//go:noescape
func sgemmKernel9x48AVX512Direct(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel14x32AVX512DirectSet is sgemmKernel14x32AVX512Direct
// overwriting C instead of accumulating.
//
//go:noescape
func sgemmKernel14x32AVX512DirectSet(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel6x16AVX2DirectSet is sgemmKernel6x16AVX2Direct overwriting C.
//
//go:noescape
func sgemmKernel6x16AVX2DirectSet(kc int, a *float32, lda int, b, c *float32, ldc int)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		registerGemm(&blockedGemm{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, kern: sgemmKernel6x16AVX2,
			direct: []tileKernel{{6, 16, sgemmKernel6x16AVX2Direct, sgemmKernel6x16AVX2DirectSet}}}, 10)
	}
	if cpu.X86.HasAVX512F {
		registerGemm(&blockedGemm{name: "avx512", mr: 14, nr: 32, mc: 168, kc: 256, nc: 4096, kern: sgemmKernel14x32AVX512,
			direct: []tileKernel{{14, 32, sgemmKernel14x32AVX512Direct, sgemmKernel14x32AVX512DirectSet}, {9, 48, sgemmKernel9x48AVX512Direct, nil}}}, 20)
	}
}
