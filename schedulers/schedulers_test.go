package schedulers

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

var sd15 = map[string]any{
	"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
	"beta_start": 0.00085, "num_train_timesteps": 1000.0, "set_alpha_to_one": false,
	"skip_prk_steps": true, "steps_offset": 1.0, "trained_betas": nil, "clip_sample": false,
}

func TestUnknownClass(t *testing.T) {
	_, err := FromConfig(map[string]any{"_class_name": "NoSuchScheduler"})
	var u *UnknownClassError
	if !errors.As(err, &u) || u.Name != "NoSuchScheduler" {
		t.Fatalf("got %v, want UnknownClassError", err)
	}
	if _, err := FromConfig(map[string]any{}); err == nil {
		t.Fatal("config without _class_name accepted")
	}
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
		if _, err := FromConfigAs("EulerDiscreteScheduler", m); err == nil {
			t.Errorf("%s: bad config accepted", name)
		}
	}
}

func TestSwapKeepsKnownKeys(t *testing.T) {
	s, err := FromConfigAs("EulerDiscreteScheduler", sd15)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.Config()
	if cfg["timestep_spacing"] != "linspace" {
		t.Errorf("timestep_spacing = %v, want the Euler default linspace", cfg["timestep_spacing"])
	}
	if _, ok := cfg["skip_prk_steps"]; ok {
		t.Error("PNDM-only key kept")
	}
	if cfg["steps_offset"] != 1.0 || cfg["beta_schedule"] != "scaled_linear" {
		t.Errorf("shared keys not kept: %v", cfg)
	}
	// keys listed in _use_default_values fall back to the class default
	m := map[string]any{"timestep_spacing": "leading", "_use_default_values": []any{"timestep_spacing"}}
	for k, v := range sd15 {
		m[k] = v
	}
	s, err = FromConfigAs("EulerDiscreteScheduler", m)
	if err != nil {
		t.Fatal(err)
	}
	if s.Config()["timestep_spacing"] != "linspace" {
		t.Error("_use_default_values ignored")
	}
}

func TestFixtureConfigs(t *testing.T) {
	for _, dir := range []string{"tiny-sd", "tiny-sd2", "tiny-sdxl"} {
		path := filepath.Join("..", "testdata", dir, "scheduler", "scheduler_config.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Skipf("fixture missing: %v", err)
		}
		m, err := ParseConfig(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, class := range append([]string{m["_class_name"].(string)}, Classes()...) {
			s, err := FromConfigAs(class, m)
			if err != nil {
				t.Fatalf("%s as %s: %v", dir, class, err)
			}
			if _, err := s.NewState(20); err != nil {
				t.Fatalf("%s as %s: %v", dir, class, err)
			}
		}
	}
}

func TestSchedulePrimitives(t *testing.T) {
	// np.interp semantics: clamps outside, exact at knots
	xp, fp := []float64{0, 1, 2}, []float64{10, 20, 40}
	for _, c := range [][2]float64{{-1, 10}, {0, 10}, {0.5, 15}, {1.5, 30}, {2, 40}, {3, 40}} {
		if got := Interp(c[0], xp, fp); got != c[1] {
			t.Errorf("Interp(%v) = %v, want %v", c[0], got, c[1])
		}
	}
	// leading spacing with offset, trailing spacing
	ts, _ := TimestepSpacing("leading", 1000, 4, 1)
	if want := []float64{751, 501, 251, 1}; !equal(ts, want) {
		t.Errorf("leading = %v, want %v", ts, want)
	}
	ts, _ = TimestepSpacing("trailing", 1000, 4, 0)
	if want := []float64{999, 749, 499, 249}; !equal(ts, want) {
		t.Errorf("trailing = %v, want %v", ts, want)
	}
	k := KarrasSigmas(0.1, 10, 5)
	if math.Abs(k[0]-10) > 1e-12 || math.Abs(k[4]-0.1) > 1e-12 {
		t.Errorf("karras ends %v", k)
	}
	// sigma -> t inverts the interpolation at a knot
	b, _ := Betas("scaled_linear", 0.00085, 0.012, 1000, nil)
	sig := SigmasFromAlphasCumprod(AlphasCumprod(b))
	if got := SigmaToT(sig[500], LogSigmas(sig)); math.Abs(got-500) > 1e-3 {
		t.Errorf("SigmaToT = %v, want 500", got)
	}
	// zero terminal SNR drives the last alpha_cumprod to zero
	r := RescaleZeroTerminalSNR(b)
	if ac := AlphasCumprod(r); ac[len(ac)-1] != 0 {
		t.Errorf("rescaled final alphas_cumprod = %v", ac[len(ac)-1])
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStrengthAndDenoisingCuts(t *testing.T) {
	s, _ := FromConfigAs("HeunDiscreteScheduler", sd15)
	st, _ := s.NewState(10)
	ts, n := StrengthCut(st, 10, 0.5)
	if n != 5 || len(ts) != 9 { // 19 Heun timesteps, cut at 5*order
		t.Errorf("heun strength cut: %d steps, %d timesteps", n, len(ts))
	}
	s, _ = FromConfigAs("EulerDiscreteScheduler", sd15)
	st, _ = s.NewState(10)
	all := st.Timesteps()
	ts, n = DenoisingStartCut(st, 1000, 0.8)
	for _, v := range ts {
		if v >= 200 {
			t.Errorf("denoising_start 0.8 kept timestep %v", v)
		}
	}
	if n != len(ts) || len(ts) == 0 {
		t.Errorf("denoising_start: %d, %v", n, ts)
	}
	end := DenoisingEndCut(all, 1000, 0.8)
	if len(end)+len(ts) != len(all) {
		t.Errorf("denoising_end and denoising_start do not partition: %v | %v", end, ts)
	}
}

// Two generations on one Scheduler at once give the same results as one
// after the other.
func TestConcurrentStates(t *testing.T) {
	s, err := FromConfigAs("DPMSolverMultistepScheduler", sd15)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []float32 {
		st, err := s.NewState(8)
		if err != nil {
			t.Error(err)
			return nil
		}
		g := rng.New(seed)
		lat := g.Randn(1, 4, 4, 4)
		for _, ts := range st.Timesteps() {
			eps := g.Randn(1, 4, 4, 4)
			if lat, err = st.Step(eps, ts, lat, g); err != nil {
				t.Error(err)
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
		for k := range want[i] {
			if got[i][k] != want[i][k] {
				t.Fatalf("generation %d differs when run concurrently", i)
			}
		}
	}
}

func TestStepErrors(t *testing.T) {
	s, _ := FromConfigAs("EulerAncestralDiscreteScheduler", sd15)
	st, _ := s.NewState(2)
	x := tensor.New(1, 1, 2, 2)
	ts := st.Timesteps()
	if _, err := st.Step(x, ts[0], x, nil); err == nil {
		t.Error("ancestral step without a generator accepted")
	}
	if _, err := st.Step(tensor.New(1, 2, 2, 2), ts[0], x, rng.New(0)); err == nil {
		t.Error("shape mismatch accepted")
	}
	st, _ = s.NewState(2)
	if _, err := st.ScaleModelInput(x, 12345); err == nil {
		t.Error("unknown timestep accepted")
	}
	if _, err := s.NewState(0); err == nil {
		t.Error("zero steps accepted")
	}
	d, _ := FromConfigAs("DDIMScheduler", sd15)
	if _, err := d.NewState(2000); err == nil {
		t.Error("more steps than training steps accepted")
	}
}
