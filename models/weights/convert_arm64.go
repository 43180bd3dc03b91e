//go:build arm64 && !purego

package weights

// On arm64 the vector paths keep the amd64 names that convert.go
// dispatches on: the half path widens with FCVTL/FCVTL2 and the bfloat16
// path with SHLL/SHLL2 #16, both in every arm64 CPU's Advanced SIMD. FCVTL
// gives the same bits as the table, subnormal halves included (widening is
// exact and not subject to flush-to-zero), signalling NaNs made quiet with
// their payload kept.
const hasF16C = true

// f16ToF32F16C converts n halves (n a positive multiple of 8) with FCVTL.
//
//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

const hasAVX2 = true

// bf16ToF32AVX2 converts n bfloat16 values (n a positive multiple of 8)
// with SHLL.
//
//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)
