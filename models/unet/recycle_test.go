package unet

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/tensor"
)

// TestForwardRecyclesSafely runs UNets whose blocks give their
// intermediates back to the buffer pool, with and without a mid block
// (without one, the last skip is also the up path's input, so it is given
// back twice), and compares them with runs where the pool keeps nothing: a
// buffer handed out while still in use would change the result.
func TestForwardRecyclesSafely(t *testing.T) {
	for _, mid := range []string{`"UNetMidBlock2DCrossAttn"`, `null`} {
		t.Run("mid_block_type="+mid, func(t *testing.T) {
			cfg, err := ReadConfig(writeConfig(t, "mid_block_type", mid))
			require.NoError(t, err)
			m, err := New(cfg)
			require.NoError(t, err)
			randomize(reflect.ValueOf(m), rand.New(rand.NewPCG(7, 8)))
			r := rand.New(rand.NewPCG(9, 10))
			rnd := func(shape ...int) *tensor.Dense {
				d := tensor.New(shape...)
				for i := range tensor.F32(d) {
					tensor.F32(d)[i] = float32(r.NormFloat64())
				}
				return d
			}
			sample, ehs := rnd(2, 4, 16, 16), rnd(2, 5, 32)
			run := func() []float32 {
				out, err := m.Forward(context.Background(), sample, []float32{500}, ehs, nil)
				require.NoError(t, err)
				return tensor.F32(out)
			}
			prev := tensor.SetScratchLimit(0)
			want := run()
			tensor.SetScratchLimit(prev)
			for range 3 {
				require.Equal(t, want, run())
			}
		})
	}
}
