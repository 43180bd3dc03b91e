//go:build arm64 && !purego

package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNEONRegistered makes sure the conformance tests of this package run
// against the NEON kernels on arm64 and that they are the default.
func TestNEONRegistered(t *testing.T) {
	g, ok := GemmByName("neon").(*blockedGemm)
	require.True(t, ok, "neon GEMM not registered")
	require.Equal(t, "neon", DefaultGemm().Name())
	require.Len(t, g.direct, 2)
	tk, ok := g.directFor(40)
	require.True(t, ok)
	require.Equal(t, 8, tk.nr, "heads of 40 take the 8×8 tile")
	require.Equal(t, [2]int{g.mr, g.nr}, [2]int{g.direct[0].mr, g.direct[0].nr}, "the first direct tile must match the packed tile")
}

// TestNEONEdgeTiles runs the NEON GEMM on every m, n below two tiles with
// depths around the unrolled loop, so each remainder path of the kernel
// and of the edge-tile handling is exercised.
func TestNEONEdgeTiles(t *testing.T) {
	g := GemmByName("neon")
	require.NotNil(t, g)
	for m := 1; m <= 16; m++ {
		for n := 1; n <= 24; n += 1 + n/8 {
			for _, k := range []int{1, 3, 4, 5, 9} {
				checkOneGemm(t, g, m, n, k)
			}
		}
	}
}

func checkOneGemm(t *testing.T, g Gemm, m, n, k int) {
	t.Helper()
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range b {
		b[i] = float32(i%5) - 2
	}
	c := make([]float32, m*n)
	g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want float32
			for p := 0; p < k; p++ {
				want += a[i*k+p] * b[p*n+j]
			}
			require.Equal(t, want, c[i*n+j], "m=%d n=%d k=%d at (%d,%d)", m, n, k, i, j)
		}
	}
}
