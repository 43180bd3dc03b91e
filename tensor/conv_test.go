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

// naiveConv is a float64 direct convolution.
func naiveConv(x, w, b *Dense, stride, pad int) *Dense {
	xs, ws := x.Shape(), w.Shape()
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	o, kh, kw := ws[0], ws[2], ws[3]
	ho, wo := (h+2*pad-kh)/stride+1, (wd+2*pad-kw)/stride+1
	res := New(n, o, ho, wo)
	X, W, O := F32(x), F32(w), F32(res)
	for i := 0; i < n; i++ {
		for oc := 0; oc < o; oc++ {
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					var s float64
					if b != nil {
						s = float64(F32(b)[oc])
					}
					for ci := 0; ci < c; ci++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								iy, ix := oy*stride-pad+ki, ox*stride-pad+kj
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += float64(X[((i*c+ci)*h+iy)*wd+ix]) * float64(W[((oc*c+ci)*kh+ki)*kw+kj])
							}
						}
					}
					O[((i*o+oc)*ho+oy)*wo+ox] = float32(s)
				}
			}
		}
	}
	return res
}

// TestConvLarge checks the implicit-GEMM and im2col paths on an image with
// more output positions than one GEMM column block.
func TestConvLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := FromSlice(randSlice(r, 1*3*70*66), 1, 3, 70, 66)
	for _, c := range []struct{ k, stride, pad int }{{3, 1, 1}, {3, 2, 1}, {1, 1, 0}, {3, 1, 0}} {
		w := FromSlice(randSlice(r, 5*3*c.k*c.k), 5, 3, c.k, c.k)
		b := FromSlice(randSlice(r, 5), 5)
		want := naiveConv(x, w, b, c.stride, c.pad)
		for _, generic := range []bool{false, true} {
			g := DefaultGemm()
			if generic {
				g = opaqueGemm{g}
			}
			old := SetDefaultGemm(g)
			got := Conv2D(x, w, b, c.stride, c.pad)
			SetDefaultGemm(old)
			err, mag := maxErr(got, want)
			assert.LessOrEqual(t, err, 1e-5*math.Max(1, mag), "%s k=%d s=%d p=%d: max err", fmt.Sprint(g.Name(), generic), c.k, c.stride, c.pad)
		}
	}
}

// TestConvDeep covers patch matrices deeper than one K block with the
// prepacked weights (packed by several workers for the last case), in the
// column-split and the row-task paths.
func TestConvDeep(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 8))
	for _, c := range []struct{ n, cin, h, w, o int }{{1, 32, 20, 70, 20}, {2, 32, 8, 8, 400}, {1, 64, 10, 12, 400}} {
		x := FromSlice(randSlice(r, c.n*c.cin*c.h*c.w), c.n, c.cin, c.h, c.w)
		w := FromSlice(randSlice(r, c.o*c.cin*9), c.o, c.cin, 3, 3)
		b := FromSlice(randSlice(r, c.o), c.o)
		want := naiveConv(x, w, b, 1, 1)
		for _, g := range GemmImplementations() {
			old := SetDefaultGemm(g)
			got := Conv2D(x, w, b, 1, 1)
			SetDefaultGemm(old)
			err, mag := maxErr(got, want)
			assert.LessOrEqual(t, err, 1e-5*math.Max(1, mag), "%s %+v: max err (max %g)", g.Name(), c, mag)
		}
	}
}

// The Winograd path agrees with the direct product on the shapes it takes:
// odd and even sizes, several tile chunks, planes small enough to go by
// blocks of channels, several K blocks, bias or not, float16 weights.
func TestConvWinograd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(d *Dense) *Dense {
		for i, x := 0, F32(d); i < len(x); i++ {
			x[i] = float32(r.NormFloat64())
		}
		return d
	}
	for _, tc := range []struct{ n, c, o, h, w int }{
		{1, 16, 8, 32, 64}, {2, 24, 13, 45, 47}, {1, 32, 40, 47, 64}, {1, 16, 6, 51, 41}, {1, 264, 9, 32, 64},
		{1, 24, 13, 17, 19}, {2, 40, 50, 16, 16}, {1, 300, 7, 16, 18}, {1, 16, 61, 33, 31}, {1, 40, 20, 12, 11},
	} {
		nt := (tc.h + 1) / 2 * ((tc.w + 1) / 2)
		f4 := nt > winogradRowTiles
		t.Logf("%+v: %d tiles (by blocks of channels: %v, F(4×4): %v)", tc, nt, !f4, f4)
		x := fill(New(tc.n, tc.c, tc.h, tc.w))
		w := fill(New(tc.o, tc.c, 3, 3))
		b := fill(New(tc.o))
		require.True(t, winogradFits(DefaultGemm().(*blockedGemm), w, convGeom{c: tc.c, kh: 3, kw: 3, stride: 1, pad: 1, ho: tc.h, wo: tc.w}), "%+v", tc)
		// Rounding only: within 4e-6 of the largest output for F(2×2)
		// (the direct product is within 1e-6), 2e-5 for F(4×4) (measured
		// 4–8e-6), where an error in a transform or an edge tile is of
		// the order of the outputs themselves.
		want := naiveConv(x, w, b, 1, 1)
		tol := 4e-6 * maxAbs(F32(want))
		if f4 {
			tol *= 5
		}
		got := Conv2D(x, w, b, 1, 1)
		testutil.RequireClose(t, F32(want), F32(got), tol, "%+v with bias", tc)
		got = Conv2D(x, w, nil, 1, 1)
		want = naiveConv(x, w, nil, 1, 1)
		testutil.RequireClose(t, F32(want), F32(got), tol, "%+v without bias", tc)
		// float16 weights go through the same path, widened.
		hw := make([]uint16, len(F32(w)))
		for i, v := range F32(w) {
			hw[i] = halfOf(v)
			F32(w)[i] = halfToF32(hw[i])
		}
		want = naiveConv(x, w, nil, 1, 1)
		got = Conv2D(x, NewHalf(hw, tc.o, tc.c, 3, 3), nil, 1, 1)
		testutil.RequireClose(t, F32(want), F32(got), tol, "%+v float16 weights", tc)
		if f4 {
			// The same plane through F(2×2, 3×3).
			useWinograd4.Store(false)
			got = Conv2D(x, NewHalf(hw, tc.o, tc.c, 3, 3), nil, 1, 1)
			useWinograd4.Store(true)
			testutil.RequireClose(t, F32(want), F32(got), tol/5, "%+v F(2×2)", tc)
		}
	}
}

func maxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// The vector F(4×4) transforms give the bits of the scalar ones: on a plane
// whose rows hold runs of eight inside tiles, edge tiles and a ragged end.
func TestConvWinograd4Vector(t *testing.T) {
	if !wino4AVX2 {
		t.Skip("no vector F(4×4) transforms on this machine")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct{ c, o, h, w int }{{16, 7, 41, 70}, {24, 5, 64, 64}} {
		x := FromSlice(randSlice(r, tc.c*tc.h*tc.w), 1, tc.c, tc.h, tc.w)
		w := FromSlice(randSlice(r, tc.o*tc.c*9), tc.o, tc.c, 3, 3)
		b := FromSlice(randSlice(r, tc.o), tc.o)
		require.Greater(t, (tc.h+1)/2*((tc.w+1)/2), winogradRowTiles, "%+v must take F(4×4)", tc)
		vec := Conv2D(x, w, b, 1, 1)
		wino4AVX2 = false
		scalar := Conv2D(x, w, b, 1, 1)
		wino4AVX2 = true
		require.Equal(t, F32(scalar), F32(vec), "%+v", tc)
	}
}

// A convolution over few output positions reads its weights in place and
// gives the bits of the packed implicit GEMM: strides, a 1×1 kernel,
// several K blocks, outputs that are not whole tiles, bias or not, float16
// weights.
func TestConvDirectMatchesPacked(t *testing.T) {
	g, ok := DefaultGemm().(*blockedGemm)
	if !ok || len(g.direct) == 0 {
		t.Skipf("the default GEMM %s has no unpacked-A kernel", DefaultGemm().Name())
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ n, c, o, h, w, k, stride, pad int }{
		{1, 20, 13, 7, 9, 3, 2, 1}, {2, 300, 7, 8, 8, 1, 1, 0}, {1, 40, 50, 16, 16, 3, 2, 1}, {1, 3, 5, 5, 5, 3, 1, 1},
	} {
		x := FromSlice(randSlice(r, tc.n*tc.c*tc.h*tc.w), tc.n, tc.c, tc.h, tc.w)
		w := FromSlice(randSlice(r, tc.o*tc.c*tc.k*tc.k), tc.o, tc.c, tc.k, tc.k)
		b := FromSlice(randSlice(r, tc.o), tc.o)
		hw := make([]uint16, len(F32(w)))
		for i, v := range F32(w) {
			hw[i] = halfOf(v)
		}
		for _, wt := range []*Dense{w, NewHalf(hw, tc.o, tc.c, tc.k, tc.k)} {
			for _, bias := range []*Dense{b, nil} {
				got := Conv2D(x, wt, bias, tc.stride, tc.pad)
				s := got.Shape()
				require.LessOrEqual(t, s[2]*s[3], convDirectPixels, "%+v must read its weights in place", tc)
				cv := convGeom{c: tc.c, h: tc.h, w: tc.w, kh: tc.k, kw: tc.k, stride: tc.stride, pad: tc.pad, ho: s[2], wo: s[3]}
				want := make([]float32, len(F32(got)))
				beta := float32(0)
				if bias != nil {
					fillBias(want, F32(bias), tc.n, tc.o, s[2]*s[3])
					beta = 1
				}
				convBlocked(g, want, F32(x), wt, tc.n, tc.o, cv, beta)
				require.Equal(t, want, F32(got), "%+v half %v bias %v", tc, IsHalf(wt), bias != nil)
			}
		}
	}
}
