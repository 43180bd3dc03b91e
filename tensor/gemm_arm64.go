//go:build arm64 && !purego

package tensor

// sgemmKernel8x12NEON is the NEON micro-kernel: an 8×12 tile held in 24
// q-register accumulators, FMLA by element with the 8 values of A in two
// registers.
//
//go:noescape
func sgemmKernel8x12NEON(kc int, a, b, c *float32, ldc int)

func init() {
	// Advanced SIMD is part of every arm64 CPU.
	registerGemm(&blockedGemm{name: "neon", mr: 8, nr: 12, mc: 128, kc: 256, nc: 4092, kern: sgemmKernel8x12NEON}, 10)
}
