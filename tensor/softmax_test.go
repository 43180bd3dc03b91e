package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpSubSum(t *testing.T) { forEachVectorLevel(t, testExpSubSum) }

func testExpSubSum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 15, 16, 17, 77, 300, 4096} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * 30)
		}
		if n > 3 {
			v[2] = -1e30 // underflows to zero
		}
		want := make([]float64, n)
		m := math.Inf(-1)
		for _, x := range v {
			m = math.Max(m, float64(x))
		}
		var wsum float64
		for i, x := range v {
			want[i] = math.Exp(float64(x - float32(m))) // the difference rounds to float32, as in torch
			wsum += want[i]
		}
		got := append([]float32(nil), v...)
		sum := expSubSum(got)
		assert.InDelta(t, wsum, float64(sum), 1e-5*wsum, "n=%d: sum", n)
		for i := range got {
			// Below exp(-80) results are flushed to zero (no denormals).
			d := math.Abs(float64(got[i]) - want[i])
			if !assert.LessOrEqual(t, d, 3e-7*want[i]+2e-35, "n=%d: exp(%g-%g)=%g want %g", n, v[i], m, got[i], want[i]) {
				break
			}
		}
	}
}

// TestActivationRange compares the vectorised SiLU/GELU with float64
// formulas over a dense range, including large magnitudes.
func TestActivationRange(t *testing.T) { forEachVectorLevel(t, testActivationRange) }

func testActivationRange(t *testing.T) {
	n := 4096
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i-n/2) / 100 // -20.48 .. 20.47
	}
	src[0], src[1] = -120, 120
	dst := make([]float32, n)
	siluScaledSlice(dst, src, 1)
	for i, x := range src {
		want := float64(x) / (1 + math.Exp(-float64(x)))
		require.InDelta(t, want, float64(dst[i]), 3e-7*math.Max(1, math.Abs(want)), "silu(%g)", x)
	}
	geluSlice(dst, src)
	for i, x := range src {
		want := 0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2))
		require.InDelta(t, want, float64(dst[i]), 5e-7*math.Max(1, math.Abs(want)), "gelu(%g)", x)
	}
}

// TestMeanRstdOffset checks the one-pass float64 statistics on data with
// a large mean next to a small spread, against a two-pass reference.
func TestMeanRstdOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{7, 16, 74, 4099} {
		v := make([]float32, n)
		for i := range v {
			v[i] = 300 + float32(r.NormFloat64()*0.01)
		}
		var m, q float64
		for _, a := range v {
			m += float64(a)
		}
		m /= float64(n)
		for _, a := range v {
			q += (float64(a) - m) * (float64(a) - m)
		}
		wantR := 1 / math.Sqrt(q/float64(n)+1e-6)
		gotM, gotR := meanRstd(v, 1e-6)
		assert.InDelta(t, m, gotM, 1e-12*m, "n=%d: mean", n)
		assert.InDelta(t, wantR, gotR, 1e-6*wantR, "n=%d: rstd", n)
	}
}

// TestLayerNormTail checks LayerNorm on a width that leaves a vector tail.
func TestLayerNormTail(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, d := range []int{5, 37, 320} {
		x := FromSlice(randSlice(r, 3*d), 3, d)
		g := FromSlice(randSlice(r, d), d)
		b := FromSlice(randSlice(r, d), d)
		got := F32(LayerNorm(x, g, b, 1e-5))
		X, G, B := F32(x), F32(g), F32(b)
		for row := 0; row < 3; row++ {
			var m, q float64
			for _, v := range X[row*d : (row+1)*d] {
				m += float64(v)
			}
			m /= float64(d)
			for _, v := range X[row*d : (row+1)*d] {
				q += (float64(v) - m) * (float64(v) - m)
			}
			rs := 1 / math.Sqrt(q/float64(d)+1e-5)
			for i := 0; i < d; i++ {
				want := (float64(X[row*d+i])-m)*rs*float64(G[i]) + float64(B[i])
				require.InDelta(t, want, float64(got[row*d+i]), 1e-5*math.Max(1, math.Abs(want)), "d=%d row %d [%d]", d, row, i)
			}
		}
	}
}
