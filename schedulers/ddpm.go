package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "DDPMScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"variance_type":              "fixed_small",
			"clip_sample":                true,
			"thresholding":               false,
			"dynamic_thresholding_ratio": 0.995,
			"clip_sample_range":          1.0,
			"sample_max_value":           1.0,
			"timestep_spacing":           "leading",
			"rescale_betas_zero_snr":     false,
		}),
		New: newDDPM,
	})
}

// DDPM implements DDPMScheduler (Ho et al. 2020) with the fixed variance
// types.
type DDPM struct {
	baseScheduler
	alphaSettings
	variance string
}

func newDDPM(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	a, err := readAlphaSettings(p)
	if err != nil {
		return nil, err
	}
	variance := p.oneOf("variance_type", "fixed_small", "fixed_small_log", "fixed_large")
	return &DDPM{baseScheduler: baseScheduler{class: "DDPMScheduler", cfg: cfg, order: 1}, alphaSettings: a, variance: variance}, p.err
}

// NewState implements Scheduler. Explicit timesteps must be strictly
// descending integers below num_train_timesteps.
func (s *DDPM) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: DDPMScheduler does not take explicit sigmas")
	}
	if o.timesteps != nil {
		ts := o.timesteps
		for i := range ts {
			if ts[i] != math.Trunc(ts[i]) || ts[i] < 0 || (i > 0 && ts[i] >= ts[i-1]) {
				return nil, fmt.Errorf("schedulers: custom timesteps must be descending non-negative integers")
			}
		}
		if len(ts) == 0 || int(ts[0]) >= s.ts.numTrain {
			return nil, fmt.Errorf("schedulers: custom timesteps must start below num_train_timesteps")
		}
		return &ddpmState{alphaState: s.ts.state(ts, len(ts)), s: s}, nil
	}
	ts, err := integerTimesteps(s.spacing, s.ts.numTrain, steps, s.offset)
	if err != nil {
		return nil, err
	}
	return &ddpmState{alphaState: s.ts.state(ts, steps), s: s}, nil
}

type ddpmState struct {
	alphaState
	s *DDPM
}

// previous returns the timestep after t in the schedule, or -1.
func (st *ddpmState) previous(t float64) (int, error) {
	for i, v := range st.timesteps {
		if v == t {
			if i == len(st.timesteps)-1 {
				return -1, nil
			}
			return int(st.timesteps[i+1]), nil
		}
	}
	return 0, fmt.Errorf("schedulers: timestep %v is not in the schedule", t)
}

func (st *ddpmState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	if err := sameShape(modelOutput, sample); err != nil {
		return nil, err
	}
	s := st.s
	prev, err := st.previous(t)
	if err != nil {
		return nil, err
	}
	ti := int(t)
	ac := s.ts.alphasCumprod
	at := float32(ac[ti])
	ap := float32(1)
	if prev >= 0 {
		ap = float32(ac[prev])
	}
	bt := 1 - at
	bp := 1 - ap
	curAlpha := at / ap
	curBeta := 1 - curAlpha
	sat, sbt := sqrt32(at), sqrt32(bt)
	c0 := (sqrt32(ap) * curBeta) / bt
	c1 := sqrt32(curAlpha) * bp / bt

	out, o := like(sample)
	m, x := data(modelOutput), data(sample)
	for i := range o {
		var x0 float32
		switch s.prediction {
		case "epsilon":
			x0 = (x[i] - sbt*m[i]) / sat
		case "sample":
			x0 = m[i]
		default:
			x0 = sat*x[i] - sbt*m[i]
		}
		x0 = s.clip.apply(x0)
		o[i] = c0*x0 + c1*x[i]
	}
	if ti > 0 {
		if g == nil {
			return nil, fmt.Errorf("schedulers: DDPM needs a generator")
		}
		noise := data(g.Randn(tensor.Shape(sample)...))
		scale := s.noiseScale(bp/bt*curBeta, curBeta)
		for i := range o {
			o[i] = o[i] + scale*noise[i]
		}
	}
	return out, nil
}

// noiseScale is the standard deviation of the noise added at a step, for
// the configured variance_type; variance is the posterior variance (clamped
// to 1e-20 as diffusers does) and beta the step's beta.
func (s *DDPM) noiseScale(variance, beta float32) float32 {
	variance = max(variance, 1e-20)
	switch s.variance {
	case "fixed_small_log":
		return exp32(0.5 * log32(variance))
	case "fixed_large":
		return sqrt32(beta)
	}
	return sqrt32(variance) // fixed_small
}
