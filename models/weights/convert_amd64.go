//go:build amd64 && !purego

package weights

import "golang.org/x/sys/cpu"

var hasF16C = cpu.X86.HasAVX && cpu.X86.HasF16C

// f16ToF32F16C converts n halves (n a positive multiple of 8) with VCVTPH2PS.
//
//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

var hasAVX2 = cpu.X86.HasAVX2

// bf16ToF32AVX2 converts n bfloat16 values (n a positive multiple of 8).
//
//go:noescape
func bf16ToF32AVX2(dst *float32, src *uint16, n int)
