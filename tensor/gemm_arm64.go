//go:build arm64 && !purego

package tensor

import "golang.org/x/sys/cpu"

//go:generate go run gen_neon.go

// sgemmKernel8x12NEON is the NEON micro-kernel: an 8×12 tile held in 24
// q-register accumulators, multiplying B by lanes of packed A.
//
//go:noescape
func sgemmKernel8x12NEON(kc int, a, b, c *float32, ldc int)

// sgemmKernel8x12NEONDirect is sgemmKernel8x12NEON reading A unpacked,
// row i of the tile at a+i*lda.
//
//go:noescape
func sgemmKernel8x12NEONDirect(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel8x12NEONDirectSet is sgemmKernel8x12NEONDirect overwriting C
// instead of accumulating.
//
//go:noescape
func sgemmKernel8x12NEONDirectSet(kc int, a *float32, lda int, b, c *float32, ldc int)

// sgemmKernel8x8NEONDirect is an 8×8 unpacked-A tile, for products whose
// width is a multiple of 8 but not of 12 (attention heads of 40, 80, 160).
//
//go:noescape
func sgemmKernel8x8NEONDirect(kc int, a *float32, lda int, b, c *float32, ldc int)

func init() {
	// Advanced SIMD is part of every arm64 CPU Go supports; the flag is
	// checked so a kernel is never chosen where the OS reports otherwise.
	if cpu.ARM64.HasASIMD {
		registerGemm(&blockedGemm{name: "neon", mr: 8, nr: 12, mc: 192, kc: 256, nc: 4080, kern: sgemmKernel8x12NEON,
			direct: []tileKernel{{8, 12, sgemmKernel8x12NEONDirect, sgemmKernel8x12NEONDirectSet}, {8, 8, sgemmKernel8x8NEONDirect, nil}}}, 10)
	}
}
