//go:build !amd64 || purego

package tensor

// The vector transforms exist only on amd64.
var wino4AVX2 = false

func wino4InputAVX2(src *float32, ld int, dst *float32, s int) { panic("unreachable") }

func wino4OutputAVX2(m *float32, s int, out *float32, ld int, bias float32) {
	panic("unreachable")
}
