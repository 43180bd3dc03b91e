package schedulers

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/tensor"
)

// TestPythonJSONConfig loads scheduler_config.json files written by
// diffusers' save_config, which hold "lambda_min_clipped": -Infinity, and
// compares timesteps, sigmas and a 10-step trajectory with diffusers
// (tools/reference/golden_pyjson.py).
func TestPythonJSONConfig(t *testing.T) {
	var g struct {
		Shape []int `json:"shape"`
		Cases []struct {
			Name      string    `json:"name"`
			Timesteps []float64 `json:"timesteps"`
			Sigmas    []float64 `json:"sigmas"`
			Final     []float64 `json:"final"`
		} `json:"cases"`
	}
	require.NoError(t, config.ReadJSON("../testdata/golden/pyjson/golden.json", &g))
	require.Len(t, g.Cases, 2)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, config.ReadJSON(filepath.Join("../testdata/golden/pyjson", c.Name, "scheduler_config.json"), &m))
			require.True(t, math.IsInf(m["lambda_min_clipped"].(float64), -1))
			s, err := FromConfig(m)
			require.NoError(t, err)
			assert.True(t, math.IsInf(s.Config()["lambda_min_clipped"].(float64), -1))
			st, err := s.NewState(10)
			require.NoError(t, err)
			assert.InDeltaSlice(t, c.Timesteps, st.Timesteps(), 1e-9)
			require.Len(t, st.Sigmas(), len(c.Sigmas))
			for i := range c.Sigmas {
				assert.InDelta(t, c.Sigmas[i], st.Sigmas()[i], 1e-5*math.Max(1, c.Sigmas[i]), "sigma %d", i)
			}
			got := pyjsonTrajectory(t, s, g.Shape)
			for i := range c.Final {
				assert.InDelta(t, c.Final[i], got[i], 1e-4*math.Max(1, math.Abs(c.Final[i])), "value %d", i)
			}
		})
	}
}

// pyjsonTrajectory mirrors trajectory() of golden_pyjson.py.
func pyjsonTrajectory(t *testing.T, s Scheduler, shape []int) []float32 {
	st, err := s.NewState(10)
	require.NoError(t, err)
	x := tensor.New(shape...)
	xd := tensor.F32(x)
	for i := range xd {
		xd[i] = float32(math.Cos(0.05*float64(i))-0.5) * float32(st.InitNoiseSigma())
	}
	for _, ts := range st.Timesteps() {
		eps := tensor.New(shape...)
		ed := tensor.F32(eps)
		for i := range ed {
			ed[i] = float32(math.Sin(0.37*float64(i) + ts/100))
		}
		x, err = st.Step(eps, ts, x, nil)
		require.NoError(t, err)
	}
	return tensor.F32(x)
}
