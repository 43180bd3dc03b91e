//go:build !amd64 || purego

package tensor

const hasPairAVX2 = false

func pairRowsAVX2(dst *uint32, lo, hi *float32, n int) { panic("unreachable") }
