package schedulers

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/limits"
)

func TestConfigNumbers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name, class string
		cfg         map[string]any
		key         string
	}{
		{"num_train_timesteps 1e9", "DDIMScheduler", map[string]any{"num_train_timesteps": 1e9}, "num_train_timesteps"},
		{"num_train_timesteps 0", "DDIMScheduler", map[string]any{"num_train_timesteps": 0.0}, "num_train_timesteps"},
		{"beta_start above beta_end", "EulerDiscreteScheduler", map[string]any{"beta_start": 0.5, "beta_end": 0.01}, "beta_start"},
		{"beta_end NaN", "PNDMScheduler", map[string]any{"beta_end": nan}, "beta_end"},
		{"beta_end 2", "PNDMScheduler", map[string]any{"beta_end": 2.0}, "beta_end"},
		{"trained_betas Inf", "DDPMScheduler", map[string]any{"trained_betas": []any{0.1, inf}}, "trained_betas"},
		{"steps_offset -1", "DDIMScheduler", map[string]any{"steps_offset": -1.0}, "steps_offset"},
		{"solver_order 1e9", "DPMSolverMultistepScheduler", map[string]any{"solver_order": 1e9}, "solver_order"},
		{"lambda_min_clipped NaN", "DPMSolverMultistepScheduler", map[string]any{"lambda_min_clipped": nan}, "lambda_min_clipped"},
		{"lambda_min_clipped +Inf", "DPMSolverMultistepScheduler", map[string]any{"lambda_min_clipped": inf}, "lambda_min_clipped"},
		{"sigma_min -1", "EulerDiscreteScheduler", map[string]any{"sigma_min": -1.0}, "sigma_min"},
		{"clip_sample_range 0", "DDIMScheduler", map[string]any{"clip_sample_range": 0.0}, "clip_sample_range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromConfigAs(tc.class, tc.cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, limits.ErrOutOfRange)
			assert.Contains(t, err.Error(), tc.key)
		})
	}
	s, err := FromConfigAs("DPMSolverMultistepScheduler", map[string]any{"lambda_min_clipped": math.Inf(-1)})
	require.NoError(t, err, "-Infinity is diffusers' default")
	assert.True(t, math.IsInf(s.Config()["lambda_min_clipped"].(float64), -1))
	_, err = FromConfigAs("DDIMScheduler", map[string]any{"beta_schedule": "squaredcos_cap_v2", "beta_start": 0.5, "beta_end": 0.01})
	require.NoError(t, err, "unused betas need no order")
}

func TestCheckCustom(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name          string
		ts, sigmas    []float64
		numTrain      int
		wantSubstring string
	}{
		{"timesteps NaN", []float64{500, nan}, nil, 1000, "timesteps[1]"},
		{"timesteps ascending", []float64{10, 500}, nil, 1000, "decreasing"},
		{"timesteps repeated", []float64{500, 500}, nil, 1000, "decreasing"},
		{"timestep past training", []float64{1000, 10}, nil, 1000, "num_train_timesteps"},
		{"timestep negative", []float64{10, -1}, nil, 1000, "timesteps[1]"},
		{"sigmas Inf", nil, []float64{inf, 1}, 1000, "sigmas[0]"},
		{"sigmas negative", nil, []float64{1, -1}, 1000, "sigmas[1]"},
		{"sigmas increasing", nil, []float64{1, 2, 0}, 1000, "decreasing"},
		{"first sigma zero", nil, []float64{0, 0}, 1000, "sigmas[0]"},
		{"too many", make([]float64, limits.MaxTrainTimesteps+1), nil, 1000, "len(timesteps)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCustom(tc.ts, tc.sigmas, tc.numTrain)
			require.Error(t, err)
			assert.ErrorIs(t, err, limits.ErrOutOfRange)
			assert.Contains(t, err.Error(), tc.wantSubstring)
		})
	}
	require.NoError(t, CheckCustom([]float64{999, 500, 0}, nil, 1000))
	require.NoError(t, CheckCustom(nil, []float64{14.6, 3, 0.5, 0}, 1000))
}
