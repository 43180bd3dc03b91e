package schedulers

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

type lcmGoldenCase struct {
	Name    string         `json:"name"`
	Config  map[string]any `json:"config"`
	Options map[string]any `json:"options"`
	Steps   []struct {
		N         int       `json:"n"`
		Timesteps []float64 `json:"timesteps"`
		NumSteps  int       `json:"num_inference_steps"`
		Error     string    `json:"error"`
	} `json:"steps"`
	TrajSteps int    `json:"traj_steps"`
	TrajError string `json:"traj_error"`
}

func lcmOpts(o map[string]any) []Option {
	var opts []Option
	if v, ok := o["timesteps"]; ok {
		opts = append(opts, WithTimesteps(anyFloats(v)))
	}
	if v, ok := o["strength"]; ok {
		opts = append(opts, WithStrength(v.(float64)))
	}
	if v, ok := o["original_inference_steps"]; ok {
		opts = append(opts, WithOriginalInferenceSteps(int(v.(float64))))
	}
	return opts
}

// TestLCMGolden checks LCMScheduler's timesteps (or diffusers' refusal) for
// several step counts and the step trajectories, noise injection included,
// against diffusers.
func TestLCMGolden(t *testing.T) {
	raw, err := os.ReadFile("../testdata/golden/sched_lcm.json")
	require.NoError(t, err)
	var g struct {
		Shape []int           `json:"shape"`
		Cases []lcmGoldenCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	vals := map[string][]float32{}
	for name, v := range testutil.LoadSafetensors(t, testutil.Golden("sched_lcm.safetensors")) {
		vals[name] = v.Data
	}
	require.NotEmpty(t, g.Cases)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			s, err := FromConfig(c.Config)
			require.NoError(t, err)
			opts := lcmOpts(c.Options)
			for _, sc := range c.Steps {
				st, err := s.NewState(sc.N, opts...)
				if sc.Error != "" {
					assert.Error(t, err, "%d steps: diffusers fails: %s", sc.N, sc.Error)
					continue
				}
				require.NoError(t, err, "%d steps", sc.N)
				assert.Equal(t, sc.Timesteps, st.Timesteps(), "%d steps", sc.N)
				assert.Equal(t, sc.NumSteps, st.NumInferenceSteps(), "%d steps", sc.N)
			}
			if c.TrajError != "" {
				_, err := s.NewState(c.TrajSteps, opts...)
				assert.Error(t, err)
				return
			}
			e := lcmTrajectory(t, s, c, vals, opts)
			t.Logf("trajectory max error %.2g (rel %.2g)", e.abs, e.rel)
			assert.LessOrEqual(t, e.rel, trajTol, "trajectory max error %.3g (rel %.3g)", e.abs, e.rel)
		})
	}
}

func lcmTrajectory(t *testing.T, s Scheduler, c lcmGoldenCase, vals map[string][]float32, opts []Option) errStat {
	t.Helper()
	shape := []int{1, 4, 8, 8}
	n := 1 * 4 * 8 * 8
	st, err := s.NewState(c.TrajSteps, opts...)
	require.NoError(t, err)
	var e errStat
	var lat *tensor.Dense
	if _, ok := c.Options["strength"]; ok {
		x0 := tensor.FromSlice(append([]float32(nil), vals["x0"]...), shape...)
		noise := tensor.FromSlice(append([]float32(nil), vals["noise"]...), shape...)
		lat, err = st.AddNoise(x0, noise, st.Timesteps()[0])
		require.NoError(t, err)
		e.addSlice(tensor.F32(lat), vals[c.Name+"_noisy"])
	} else {
		lat = rng.New(7).Randn(shape...)
	}
	gen := rng.New(123)
	for i, ts := range st.Timesteps() {
		inp, err := st.ScaleModelInput(lat, ts)
		require.NoError(t, err)
		lat, err = st.Step(modelStub(vals, i, n, inp), ts, lat, gen)
		require.NoError(t, err, "step %d", i)
		e.addSlice(tensor.F32(lat), sliceOf(vals, c.Name+"_traj", i, n))
		den := st.(interface{ Denoised() *tensor.Dense }).Denoised()
		e.addSlice(tensor.F32(den), sliceOf(vals, c.Name+"_denoised", i, n))
	}
	require.Equal(t, len(vals[c.Name+"_traj"]), len(st.Timesteps())*n)
	return e
}

func TestLCMRejects(t *testing.T) {
	s, err := FromConfigAs("LCMScheduler", map[string]any{})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		steps int
		opts  []Option
	}{
		"zero steps":       {0, nil},
		"strength > 1":     {4, []Option{WithStrength(1.5)}},
		"negative origin":  {4, []Option{WithOriginalInferenceSteps(-3)}},
		"origin > train":   {4, []Option{WithOriginalInferenceSteps(2000)}},
		"ascending custom": {0, []Option{WithTimesteps([]float64{259, 499})}},
		"custom too large": {0, []Option{WithTimesteps([]float64{1000, 499})}},
		"sigmas":           {0, []Option{WithSigmas([]float64{1, 0})}},
	} {
		_, err := s.NewState(tc.steps, tc.opts...)
		assert.Error(t, err, name)
	}
	_, err = FromConfigAs("LCMScheduler", map[string]any{"thresholding": true})
	assert.Error(t, err)
}
