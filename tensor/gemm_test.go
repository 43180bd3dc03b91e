package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refGemm computes alpha·op(A)·op(B) + beta·C in float64, and the sum of
// absolute terms per element (for the error bound).
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, abs []float64) {
	ref = make([]float64, m*n)
	abs = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			r := float64(alpha) * s
			sa = math.Abs(float64(alpha)) * sa
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
				sa += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j], abs[i*n+j] = r, sa
		}
	}
	return ref, abs
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// TestGemmConformance runs every implementation on odd sizes, all
// transposition combinations, padded leading dimensions and several
// alpha/beta pairs against a float64 reference.
func TestGemmConformance(t *testing.T) {
	sizes := [][3]int{
		{1, 1, 1}, {7, 1, 77}, {1, 320, 7}, {77, 77, 77}, {320, 7, 1023}, {1023, 77, 40},
		{33, 1023, 129}, {320, 320, 320}, {5, 3, 0}, {0, 4, 3}, {15, 33, 257}, {29, 65, 600}, {400, 100, 600},
	}
	abs := [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {0, 0.5}}
	r := rand.New(rand.NewPCG(1, 2))
	for si, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for combo := 0; combo < 4; combo++ {
			{
				transA, transB := combo&1 != 0, combo&2 != 0
				ab := abs[(si+combo)%len(abs)]
				alpha, beta := ab[0], ab[1]
				ar, ac := m, k
				if transA {
					ar, ac = k, m
				}
				br, bc := k, n
				if transB {
					br, bc = n, k
				}
				pad := (si + combo) % 3
				lda, ldb, ldc := ac+pad, bc+2*pad, n+pad
				a := randSlice(r, max(ar*lda, 1))
				b := randSlice(r, max(br*ldb, 1))
				c := randSlice(r, max(m*ldc, 1))
				if beta == 0 {
					for i := range c {
						c[i] = float32(math.NaN())
					}
				}
				orig := append([]float32(nil), c...)
				ref, bound := refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, orig, ldc)
				for _, impl := range GemmImplementations() {
					c := append([]float32(nil), orig...)
					impl.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					name := fmt.Sprintf("%s m=%d n=%d k=%d tA=%v tB=%v alpha=%g beta=%g", impl.Name(), m, n, k, transA, transB, alpha, beta)
					bad := 0
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							got := c[i*ldc+j]
							if j >= n {
								require.Equal(t, math.Float32bits(orig[i*ldc+j]), math.Float32bits(got), "%s: wrote outside C at (%d,%d)", name, i, j)
								continue
							}
							tolv := 1e-6*float64(k+2)*bound[i*n+j] + 1e-6
							if d := math.Abs(float64(got) - ref[i*n+j]); !(d <= tolv) {
								if bad == 0 {
									assert.Failf(t, "GEMM differs from the float64 reference", "%s: C[%d,%d]=%g want %g (|diff| %g > %g)", name, i, j, got, ref[i*n+j], d, tolv)
								}
								bad++
							}
						}
					}
				}
			}
		}
	}
}

func TestGemmImplementations(t *testing.T) {
	impls := GemmImplementations()
	require.NotEmpty(t, impls, "no GEMM implementation registered")
	require.NotNil(t, DefaultGemm(), "no default GEMM")
	assert.NotNil(t, GemmByName("go"), "portable implementation missing")
	for _, g := range impls {
		t.Logf("gemm implementation %q", g.Name())
	}
	t.Logf("default %q", DefaultGemm().Name())
}

// TestDirectKernels checks each unpacked-A micro-kernel against a float64
// product on a tile with a padded leading dimension.
func TestDirectKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, impl := range GemmImplementations() {
		g, ok := impl.(*blockedGemm)
		if !ok {
			continue
		}
		for _, tk := range g.direct {
			for _, kc := range []int{1, 7, 40, 300} {
				lda, ldc := kc+5, tk.nr+3
				a := randSlice(r, tk.mr*lda)
				b := randSlice(r, kc*tk.nr)
				c := randSlice(r, tk.mr*ldc)
				want := append([]float32(nil), c...)
				for i := 0; i < tk.mr; i++ {
					for j := 0; j < tk.nr; j++ {
						s := float64(want[i*ldc+j])
						for p := 0; p < kc; p++ {
							s += float64(a[i*lda+p]) * float64(b[p*tk.nr+j])
						}
						want[i*ldc+j] = float32(s)
					}
				}
				c0 := append([]float32(nil), c...)
				tk.kern(kc, &a[0], lda, &b[0], &c[0], ldc)
				testutil.RequireClose(t, want, c, 1e-5*float64(kc+1), "%s %dx%d kc=%d", g.name, tk.mr, tk.nr, kc)
				if tk.set == nil {
					continue
				}
				// The overwriting variant: C = A·B inside the tile only.
				copy(c, c0)
				tk.set(kc, &a[0], lda, &b[0], &c[0], ldc)
				for i := 0; i < tk.mr; i++ {
					for j := 0; j < ldc; j++ {
						w := float64(c0[i*ldc+j])
						if j < tk.nr {
							w = float64(want[i*ldc+j] - c0[i*ldc+j])
						}
						require.InDelta(t, w, float64(c[i*ldc+j]), 1e-5*float64(kc+1), "%s %dx%d set kc=%d: c[%d,%d]", g.name, tk.mr, tk.nr, kc, i, j)
					}
				}
			}
		}
	}
}

// packA lays out a partial sliver in the kernel's row count whatever the
// fast paths (6 and 14 rows) are: for every kernel height and part height.
func TestPackALayout(t *testing.T) {
	const kb, lda = 5, 7
	a := make([]float32, 16*lda)
	for i := range a {
		a[i] = float32(i + 1)
	}
	for _, mr := range []int{4, 6, 8, 14} {
		for mb := 1; mb <= mr; mb++ {
			dst := make([]float32, mr*kb)
			packA(dst, false, a, lda, 0, 1, mb, kb, mr, 2)
			for p := 0; p < kb; p++ {
				for i := 0; i < mr; i++ {
					want := float32(0)
					if i < mb {
						want = 2 * a[i*lda+1+p]
					}
					require.Equal(t, want, dst[p*mr+i], "mr=%d mb=%d p=%d i=%d", mr, mb, p, i)
				}
			}
		}
	}
}
