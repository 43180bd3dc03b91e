package pipelines

import (
	"math"
	"testing"

	"github.com/goautopipe/autopipeline/models/weights"
	"github.com/goautopipe/autopipeline/tensor"
	"github.com/stretchr/testify/require"
)

// Every half value, widened, survives roundF16; values between two halves
// go to the nearer one (ties to even).
func TestRoundF16AllHalves(t *testing.T) {
	all := make([]uint16, 1<<16)
	for i := range all {
		all[i] = uint16(i)
	}
	f := make([]float32, len(all))
	weights.F16ToF32(f, all)
	for i, v := range f {
		if v != v {
			continue
		}
		require.Equal(t, math.Float32bits(v), math.Float32bits(roundF16(v)), "half %#04x", i)
	}
	// midpoints between consecutive positive finite halves
	for i := 0; i < 0x7bff; i++ {
		lo, hi := f[i], f[i+1]
		mid := float32((float64(lo) + float64(hi)) / 2)
		want := lo
		if i%2 == 1 {
			want = hi
		}
		if float64(mid) != (float64(lo)+float64(hi))/2 {
			continue // midpoint not representable in float32
		}
		require.Equal(t, want, roundF16(mid), "midpoint after half %#04x", i)
	}
	require.True(t, math.IsInf(float64(roundF16(70000)), 1))
}

func TestRoundBF16(t *testing.T) {
	require.Equal(t, float32(1), roundBF16(1+1.0/512))
	require.Equal(t, float32(1+1.0/64), roundBF16(1+1.0/64+1.0/1024))
}

func TestRoundWeightsWalksStructs(t *testing.T) {
	type inner struct{ W *tensor.Dense }
	type model struct {
		A  *tensor.Dense
		In []inner
		p  *tensor.Dense
	}
	m := &model{A: tensor.FromSlice([]float32{1.0001}, 1), In: []inner{{tensor.FromSlice([]float32{0.1}, 1)}}, p: tensor.FromSlice([]float32{0.1}, 1)}
	roundWeights(m, tensor.Float16)
	require.Equal(t, float32(1), tensor.F32(m.A)[0])
	require.Equal(t, roundF16(0.1), tensor.F32(m.In[0].W)[0])
	require.NotEqual(t, float32(0.1), roundF16(0.1))
	require.Equal(t, float32(0.1), tensor.F32(m.p)[0], "unexported fields are not weights")
}
