package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func bf16Of(v float32) float32 { return math.Float32frombits(uint32(BF16Round(v)) << 16) }

func roundedBF16(s []float32) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = bf16Of(v)
	}
	return r
}

func TestBF16Round(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even below
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd below: up
		{math.Float32frombits(0x3f808001), 0x3f81},
		{-2.5, 0xc020},
		{math.MaxFloat32, 0x7f80}, // rounds to infinity
		{float32(math.Inf(-1)), 0xff80},
		{math.Float32frombits(0x00000001), 0x0000}, // smallest subnormal
	}
	for _, c := range cases {
		require.Equalf(t, c.want, BF16Round(c.in), "BF16Round(%g)", c.in)
	}
	nan := BF16Round(float32(math.NaN()))
	require.True(t, nan&0x7f80 == 0x7f80 && nan&0x7f != 0, "NaN stays NaN: %#x", nan)

	bits := []uint16{0x3f80, 0xc020, 0x0001, 0x7f80}
	f := make([]float32, len(bits))
	BF16ToFloat32(f, bits)
	require.Equal(t, []float32{1, -2.5, math.Float32frombits(0x10000), float32(math.Inf(1))}, f)
	back := make([]uint16, len(f))
	Float32ToBF16(back, f)
	require.Equal(t, bits, back)
}

// TestGemmBF16Conformance runs every bfloat16 implementation on odd sizes
// (tails of every tile and of the K pairs and K blocks), all
// transposition combinations, padded leading dimensions and several
// alpha/beta pairs against a float64 product of the bfloat16-rounded
// operands.
func TestGemmBF16Conformance(t *testing.T) {
	impls := BF16GemmImplementations()
	require.NotEmpty(t, impls)
	sizes := [][3]int{
		{1, 1, 1}, {7, 1, 77}, {1, 320, 7}, {15, 33, 3}, {14, 32, 2}, {29, 65, 257}, {77, 77, 77},
		{33, 100, 513}, {43, 97, 1030}, {5, 3, 0}, {0, 4, 3}, {320, 40, 31}, {200, 300, 64},
	}
	abs := [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {0, 0.5}} // alpha exact in bfloat16
	r := rand.New(rand.NewPCG(3, 4))
	for si, sz := range sizes {
		for combo := 0; combo < 4; combo++ {
			m, n, k := sz[0], sz[1], sz[2]
			transA, transB := combo&1 != 0, combo&2 != 0
			ab := abs[(si+combo)%len(abs)]
			ar, ac, br, bc := m, k, k, n
			if transA {
				ar, ac = k, m
			}
			if transB {
				br, bc = n, k
			}
			pad := (si + combo) % 3
			lda, ldb, ldc := ac+pad, bc+2*pad, n+pad
			a, b := randSlice(r, max(ar*lda, 1)), randSlice(r, max(br*ldb, 1))
			c := randSlice(r, max(m*ldc, 1))
			if ab[1] == 0 {
				for i := range c {
					c[i] = float32(math.NaN())
				}
			}
			ref, bound := refGemm(transA, transB, m, n, k, ab[0], roundedBF16(a), lda, roundedBF16(b), ldb, ab[1], c, ldc)
			for _, impl := range impls {
				got := append([]float32(nil), c...)
				impl.Sgemm(transA, transB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
				name := fmt.Sprintf("%s m=%d n=%d k=%d tA=%v tB=%v alpha=%g beta=%g", impl.Name(), m, n, k, transA, transB, ab[0], ab[1])
				checkC(t, name, got, c, ref, bound, m, n, k, ldc)
			}
		}
	}
}

// checkC compares C (m×n, leading dimension ldc) with a float64
// reference within float32 summation error, and checks that the padding
// columns were left as they were.
func checkC(t *testing.T, name string, got, orig []float32, ref, bound []float64, m, n, k, ldc int) {
	t.Helper()
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			g := got[i*ldc+j]
			if j >= n {
				require.Equalf(t, math.Float32bits(orig[i*ldc+j]), math.Float32bits(g), "%s: wrote outside C at (%d,%d)", name, i, j)
				continue
			}
			tol := 1e-6*float64(k+2)*bound[i*n+j] + 1e-6
			if d := math.Abs(float64(g) - ref[i*n+j]); !(d <= tol) {
				require.Failf(t, "mismatch", "%s: C[%d,%d]=%g want %g (tolerance %g)", name, i, j, g, ref[i*n+j], tol)
			}
		}
	}
}

// withBF16Gemm runs f with each way of computing with bfloat16 weights:
// the float32 fallback (nil) and every bfloat16 implementation.
func withBF16Gemm(t *testing.T, f func(t *testing.T, g Gemm)) {
	old := BF16Gemm()
	defer SetBF16Gemm(old)
	for _, g := range append([]Gemm{nil}, BF16GemmImplementations()...) {
		SetBF16Gemm(g)
		name := "widened"
		if g != nil {
			name = g.Name()
		}
		t.Run(name, func(t *testing.T) { f(t, g) })
	}
}

// operand returns what a GEMM computes with for activations x: their
// bfloat16 rounding under a bfloat16 kernel, else x itself.
func operand(g Gemm, x []float32) []float32 {
	if g == nil {
		return x
	}
	return roundedBF16(x)
}

func randBF16(r *rand.Rand, n int) ([]uint16, []float32) {
	bits := make([]uint16, n)
	f := make([]float32, n)
	for i := range bits {
		bits[i] = BF16Round(float32(r.NormFloat64()))
		f[i] = math.Float32frombits(uint32(bits[i]) << 16)
	}
	return bits, f
}

func TestLinearBF16Weights(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{3, 5, 7}, {77, 40, 33}, {300, 320, 129}} {
		rows, in, out := sz[0], sz[1], sz[2]
		x := randSlice(r, rows*in)
		wb, wf := randBF16(r, out*in)
		bias := randSlice(r, out)
		withBF16Gemm(t, func(t *testing.T, g Gemm) {
			got := F32(Linear(FromSlice(x, rows, in), NewBF16(wb, out, in), FromSlice(bias, out)))
			bb := make([]float32, rows*out)
			for i := 0; i < rows; i++ {
				copy(bb[i*out:], bias)
			}
			ref, bound := refGemm(false, true, rows, out, in, 1, operand(g, x), in, wf, in, 1, bb, out)
			checkC(t, fmt.Sprintf("linear %v", sz), got, got, ref, bound, rows, out, in, out)
		})
	}
}

func TestConv2DBF16Weights(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cases := []struct{ n, c, h, w, o, k, stride, pad int }{
		{1, 3, 9, 7, 5, 3, 1, 1}, {2, 16, 12, 12, 33, 3, 2, 1}, {2, 20, 8, 8, 17, 1, 1, 0}, {1, 40, 16, 16, 64, 3, 1, 1},
	}
	for _, cs := range cases {
		x := randSlice(r, cs.n*cs.c*cs.h*cs.w)
		wb, wf := randBF16(r, cs.o*cs.c*cs.k*cs.k)
		bias := randSlice(r, cs.o)
		withBF16Gemm(t, func(t *testing.T, g Gemm) {
			out := Conv2D(FromSlice(x, cs.n, cs.c, cs.h, cs.w), NewBF16(wb, cs.o, cs.c, cs.k, cs.k), FromSlice(bias, cs.o), cs.stride, cs.pad)
			want := refConv(operand(g, x), wf, bias, cs.n, cs.c, cs.h, cs.w, cs.o, cs.k, cs.stride, cs.pad)
			got := F32(out)
			require.Len(t, got, len(want))
			ckk := cs.c * cs.k * cs.k
			for i := range got {
				require.InDeltaf(t, want[i], float64(got[i]), 1e-6*float64(ckk+2)*8+1e-5, "conv %+v [%d]", cs, i)
			}
		})
	}
}

// refConv is a float64 cross-correlation of x [n,c,h,w] with w [o,c,k,k].
func refConv(x, w, bias []float32, n, c, h, wd, o, k, stride, pad int) []float64 {
	ho, wo := (h+2*pad-k)/stride+1, (wd+2*pad-k)/stride+1
	res := make([]float64, n*o*ho*wo)
	for b := 0; b < n; b++ {
		for oc := 0; oc < o; oc++ {
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					s := float64(bias[oc])
					for ci := 0; ci < c; ci++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := oy*stride-pad+ky, ox*stride-pad+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += float64(x[((b*c+ci)*h+iy)*wd+ix]) * float64(w[((oc*c+ci)*k+ky)*k+kx])
							}
						}
					}
					res[((b*o+oc)*ho+oy)*wo+ox] = s
				}
			}
		}
	}
	return res
}

func TestBF16Storage(t *testing.T) {
	w := NewBF16([]uint16{0x3f80, 0x4000, 0x4040, 0x4080, 0x40a0, 0x40c0}, 2, 3)
	require.True(t, IsBF16(w))
	require.False(t, IsHalf(w))
	require.False(t, IsBF16(NewHalf([]uint16{1, 2}, 2)))
	require.False(t, IsBF16(New(2)))
	require.Equal(t, []int{2, 3}, Shape(w))
	require.Equal(t, uint16(0x40c0), BF16Bits(w)[5])
	wf, release := weightF32(w)
	defer release()
	require.Equal(t, []float32{1, 2, 3, 4, 5, 6}, wf)
}

// pairUp (the vector path where there is one) equals BF16Round on every
// width, including NaNs, infinities, ties and subnormals.
func TestPairUpMatchesBF16Round(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	special := []uint32{0x7fc00000, 0x7f800001, 0xff800000, 0x7f800000, 0x3f808000, 0x3f818000, 0x00008000, 0x80018000, 0x7f7fffff, 0}
	for w := 1; w <= 40; w++ {
		for _, kb := range []int{1, 2, 5, 8} {
			src := make([]float32, kb*w)
			for i := range src {
				if i%3 == 0 {
					src[i] = math.Float32frombits(special[r.IntN(len(special))] ^ uint32(r.IntN(2))<<31)
				} else {
					src[i] = math.Float32frombits(r.Uint32())
				}
			}
			dst := make([]uint32, (kb+1)/2*w)
			pairUp(dst, src, kb, w)
			for q := 0; q < (kb+1)/2; q++ {
				for j := 0; j < w; j++ {
					want := uint32(BF16Round(src[2*q*w+j]))
					if 2*q+1 < kb {
						want |= uint32(BF16Round(src[(2*q+1)*w+j])) << 16
					}
					require.Equalf(t, want, dst[q*w+j], "w=%d kb=%d q=%d j=%d", w, kb, q, j)
				}
			}
		}
	}
}

func BenchmarkPairUp(b *testing.B) {
	const kb, w = 256, 32
	src := randSlice(rand.New(rand.NewPCG(1, 1)), kb*w)
	dst := make([]uint32, kb/2*w)
	b.SetBytes(4 * kb * w)
	for b.Loop() {
		pairUp(dst, src, kb, w)
	}
}
