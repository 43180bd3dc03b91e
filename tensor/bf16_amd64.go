//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

var hasPairAVX2 = cpu.X86.HasAVX2

// pairRowsAVX2 rounds two rows of n float32 values (n a positive multiple
// of 8) to bfloat16 and interleaves them: dst[i] = bf16(lo[i]) |
// bf16(hi[i])<<16, as BF16Round does.
//
//go:noescape
func pairRowsAVX2(dst *uint32, lo, hi *float32, n int)
