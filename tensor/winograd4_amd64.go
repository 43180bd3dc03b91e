//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// wino4InputAVX2 is winograd4Input for 8 tiles side by side, wholly inside
// the image, of one channel: src at the first tile's 6×6 block (rows ld
// apart), results at dst[ξ*s + tile]. Same operations, same bits.
//
//go:noescape
func wino4InputAVX2(src *float32, ld int, dst *float32, s int)

// wino4OutputAVX2 is winograd4Output for 8 tiles side by side whose 4×4
// blocks are wholly inside the output: products at m[ξ*s + tile], block
// rows of out ld apart. Same operations, same bits.
//
//go:noescape
func wino4OutputAVX2(m *float32, s int, out *float32, ld int, bias float32)

var wino4AVX2 = cpu.X86.HasAVX2
