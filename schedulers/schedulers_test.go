package schedulers

import (
	"os"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sd15 = map[string]any{
	"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
	"beta_start": 0.00085, "num_train_timesteps": 1000.0, "set_alpha_to_one": false,
	"skip_prk_steps": true, "steps_offset": 1.0, "trained_betas": nil, "clip_sample": false,
}

func TestUnknownClass(t *testing.T) {
	_, err := FromConfig(map[string]any{"_class_name": "NoSuchScheduler"})
	var u *UnknownClassError
	require.ErrorAs(t, err, &u)
	require.Equal(t, "NoSuchScheduler", u.Name)
	_, err = FromConfig(map[string]any{})
	require.Error(t, err, "config without _class_name accepted")
}

func TestBadConfigValues(t *testing.T) {
	for name, over := range map[string]map[string]any{
		"schedule":   {"beta_schedule": "nope"},
		"prediction": {"prediction_type": "flow"},
		"type":       {"num_train_timesteps": "many"},
		"spacing":    {"timestep_spacing": "random"},
	} {
		m := map[string]any{}
		for k, v := range sd15 {
			m[k] = v
		}
		for k, v := range over {
			m[k] = v
		}
		_, err := FromConfigAs("EulerDiscreteScheduler", m)
		assert.Error(t, err, "%s: bad config accepted", name)
	}
}

func TestSwapKeepsKnownKeys(t *testing.T) {
	s, err := FromConfigAs("EulerDiscreteScheduler", sd15)
	require.NoError(t, err)
	cfg := s.Config()
	assert.Equal(t, "linspace", cfg["timestep_spacing"], "timestep_spacing: want the Euler default")
	assert.NotContains(t, cfg, "skip_prk_steps", "PNDM-only key kept")
	assert.Equal(t, 1.0, cfg["steps_offset"], "shared keys not kept: %v", cfg)
	assert.Equal(t, "scaled_linear", cfg["beta_schedule"], "shared keys not kept: %v", cfg)
	// keys listed in _use_default_values fall back to the class default
	m := map[string]any{"timestep_spacing": "leading", "_use_default_values": []any{"timestep_spacing"}}
	for k, v := range sd15 {
		m[k] = v
	}
	s, err = FromConfigAs("EulerDiscreteScheduler", m)
	require.NoError(t, err)
	assert.Equal(t, "linspace", s.Config()["timestep_spacing"], "_use_default_values ignored")
}

func TestFixtureConfigs(t *testing.T) {
	for _, dir := range []string{"tiny-sd", "tiny-sd2", "tiny-sdxl"} {
		path := testutil.Testdata(dir, "scheduler", "scheduler_config.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Skipf("fixture missing: %v", err)
		}
		m, err := ParseConfig(raw)
		require.NoError(t, err)
		for _, class := range append([]string{m["_class_name"].(string)}, Classes()...) {
			s, err := FromConfigAs(class, m)
			require.NoError(t, err, "%s as %s", dir, class)
			_, err = s.NewState(20)
			require.NoError(t, err, "%s as %s", dir, class)
		}
	}
}

func TestSchedulePrimitives(t *testing.T) {
	// np.interp semantics: clamps outside, exact at knots
	xp, fp := []float64{0, 1, 2}, []float64{10, 20, 40}
	for _, c := range [][2]float64{{-1, 10}, {0, 10}, {0.5, 15}, {1.5, 30}, {2, 40}, {3, 40}} {
		assert.Equal(t, c[1], Interp(c[0], xp, fp), "Interp(%v)", c[0])
	}
	// leading spacing with offset, trailing spacing
	ts, _ := TimestepSpacing("leading", 1000, 4, 1)
	assert.Equal(t, []float64{751, 501, 251, 1}, ts, "leading")
	ts, _ = TimestepSpacing("trailing", 1000, 4, 0)
	assert.Equal(t, []float64{999, 749, 499, 249}, ts, "trailing")
	k := KarrasSigmas(0.1, 10, 5)
	assert.InDelta(t, 10, k[0], 1e-12, "karras ends %v", k)
	assert.InDelta(t, 0.1, k[4], 1e-12, "karras ends %v", k)
	// sigma -> t inverts the interpolation at a knot
	b, _ := Betas("scaled_linear", 0.00085, 0.012, 1000, nil)
	sig := SigmasFromAlphasCumprod(AlphasCumprod(b))
	assert.InDelta(t, 500, SigmaToT(sig[500], LogSigmas(sig)), 1e-3, "SigmaToT")
	// zero terminal SNR drives the last alpha_cumprod to zero
	r := RescaleZeroTerminalSNR(b)
	ac := AlphasCumprod(r)
	assert.Zero(t, ac[len(ac)-1], "rescaled final alphas_cumprod")
}

func TestStrengthAndDenoisingCuts(t *testing.T) {
	s, _ := FromConfigAs("HeunDiscreteScheduler", sd15)
	st, _ := s.NewState(10)
	ts, n := StrengthCut(st, 10, 0.5)
	// 19 Heun timesteps, cut at 5*order
	assert.Equal(t, 5, n, "heun strength cut: steps")
	assert.Len(t, ts, 9, "heun strength cut: timesteps")
	s, _ = FromConfigAs("EulerDiscreteScheduler", sd15)
	st, _ = s.NewState(10)
	all := st.Timesteps()
	ts, n = DenoisingStartCut(st, 1000, 0.8)
	for _, v := range ts {
		assert.Less(t, v, 200.0, "denoising_start 0.8 kept timestep %v", v)
	}
	assert.NotEmpty(t, ts, "denoising_start")
	assert.Equal(t, len(ts), n, "denoising_start: %v", ts)
	end := DenoisingEndCut(all, 1000, 0.8)
	assert.Len(t, all, len(end)+len(ts), "denoising_end and denoising_start do not partition: %v | %v", end, ts)
}

// Two generations on one Scheduler at once give the same results as one
// after the other.
func TestConcurrentStates(t *testing.T) {
	s, err := FromConfigAs("DPMSolverMultistepScheduler", sd15)
	require.NoError(t, err)
	run := func(seed uint64) []float32 {
		st, err := s.NewState(8)
		if !assert.NoError(t, err) {
			return nil
		}
		g := rng.New(seed)
		lat := g.Randn(1, 4, 4, 4)
		for _, ts := range st.Timesteps() {
			eps := g.Randn(1, 4, 4, 4)
			if lat, err = st.Step(eps, ts, lat, g); !assert.NoError(t, err) {
				return nil
			}
		}
		return tensor.F32(lat)
	}
	want := [2][]float32{run(1), run(2)}
	var got [2][]float32
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = run(uint64(i + 1)) }()
	}
	wg.Wait()
	for i := range got {
		testutil.RequireClose(t, want[i], got[i], 0, "generation %d differs when run concurrently", i)
	}
}

func TestStepErrors(t *testing.T) {
	s, _ := FromConfigAs("EulerAncestralDiscreteScheduler", sd15)
	st, _ := s.NewState(2)
	x := tensor.New(1, 1, 2, 2)
	ts := st.Timesteps()
	_, err := st.Step(x, ts[0], x, nil)
	assert.Error(t, err, "ancestral step without a generator accepted")
	_, err = st.Step(tensor.New(1, 2, 2, 2), ts[0], x, rng.New(0))
	assert.Error(t, err, "shape mismatch accepted")
	st, _ = s.NewState(2)
	_, err = st.ScaleModelInput(x, 12345)
	assert.Error(t, err, "unknown timestep accepted")
	_, err = s.NewState(0)
	assert.Error(t, err, "zero steps accepted")
	d, _ := FromConfigAs("DDIMScheduler", sd15)
	_, err = d.NewState(2000)
	assert.Error(t, err, "more steps than training steps accepted")
}
