//go:build arm64 && !purego

package weights

// Every arm64 CPU widens halves in hardware (FCVTL, Advanced SIMD), so the
// F16C path of amd64 has a NEON twin here under the same names.
const hasF16C = true

// f16ToF32F16C converts n halves (n a positive multiple of 8) with FCVTL
// and FCVTL2.
//
//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

const hasAVX2 = false

func bf16ToF32AVX2(dst *float32, src *uint16, n int) { panic("unreachable") }
