package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReLUInPlace checks every length around the vector width, and that
// NaN, -0 and the infinities come out as from max(x, 0) in torch: NaN and
// -0 unchanged, -Inf to 0.
func TestReLUInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), -1e-30, 1e-30}
	for _, n := range []int{0, 1, 7, 31, 32, 33, 64, 95, 1000, 40000} {
		x := randSlice(r, n)
		for i := range x {
			if r.IntN(8) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		want := make([]uint32, n)
		for i, v := range x {
			if v < 0 {
				v = 0
			}
			want[i] = math.Float32bits(v)
		}
		ReLUInPlace(FromSlice(x, n))
		got := make([]uint32, n)
		for i, v := range x {
			got[i] = math.Float32bits(v)
		}
		require.Equal(t, want, got, "n=%d", n)
	}
}
