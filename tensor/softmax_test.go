package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpSubSum(t *testing.T) {
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
		if math.Abs(float64(sum)-wsum) > 1e-5*wsum {
			t.Errorf("n=%d: sum %g want %g", n, sum, wsum)
		}
		for i := range got {
			if d := math.Abs(float64(got[i]) - want[i]); d > 3e-7*want[i]+1e-37 {
				t.Errorf("n=%d: exp(%g-%g)=%g want %g", n, v[i], m, got[i], want[i])
				break
			}
		}
	}
}
