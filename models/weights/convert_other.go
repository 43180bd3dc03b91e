//go:build (!amd64 && !arm64) || purego

package weights

const hasF16C = false

func f16ToF32F16C(dst *float32, src *uint16, n int) { panic("unreachable") }

const hasAVX2 = false

func bf16ToF32AVX2(dst *float32, src *uint16, n int) { panic("unreachable") }
