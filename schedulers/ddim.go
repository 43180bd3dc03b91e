package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "DDIMScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"clip_sample":                true,
			"set_alpha_to_one":           true,
			"thresholding":               false,
			"dynamic_thresholding_ratio": 0.995,
			"clip_sample_range":          1.0,
			"sample_max_value":           1.0,
			"timestep_spacing":           "leading",
			"rescale_betas_zero_snr":     false,
		}),
		New: newDDIM,
	})
}

// DDIM implements DDIMScheduler (Song et al. 2020).
type DDIM struct {
	baseScheduler
	alphaSettings
	finalAlpha float64
}

func newDDIM(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	a, err := readAlphaSettings(p)
	if err != nil {
		return nil, err
	}
	base := baseScheduler{class: "DDIMScheduler", cfg: cfg, order: 1}
	return &DDIM{baseScheduler: base, alphaSettings: a, finalAlpha: a.ts.finalAlpha(p.bool("set_alpha_to_one"))}, p.err
}

// integerTimesteps computes the DDPM-family inference timesteps.
func integerTimesteps(spacing string, numTrain, n, offset int) ([]float64, error) {
	if n > numTrain {
		return nil, fmt.Errorf("schedulers: %d inference steps exceed the %d training steps", n, numTrain)
	}
	ts, err := TimestepSpacing(spacing, numTrain, n, offset)
	if err != nil {
		return nil, err
	}
	return roundAll(ts), nil
}

// NewState implements Scheduler.
func (s *DDIM) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.timesteps != nil || o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: DDIMScheduler does not take explicit timesteps or sigmas")
	}
	ts, err := integerTimesteps(s.spacing, s.ts.numTrain, steps, s.offset)
	if err != nil {
		return nil, err
	}
	return &ddimState{alphaState: s.ts.state(ts, steps), s: s, eta: float32(o.eta)}, nil
}

type ddimState struct {
	alphaState
	s   *DDIM
	eta float32
}

func (st *ddimState) alphaAt(t int) (float32, error) {
	if t >= len(st.s.ts.alphasCumprod) {
		return 0, fmt.Errorf("schedulers: timestep %d out of range", t)
	}
	if t < 0 {
		return float32(st.s.finalAlpha), nil
	}
	return float32(st.s.ts.alphasCumprod[t]), nil
}

func (st *ddimState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	if err := sameShape(modelOutput, sample); err != nil {
		return nil, err
	}
	s := st.s
	ti := int(t)
	prev := ti - s.ts.numTrain/st.steps
	at, err := st.alphaAt(ti)
	if err != nil {
		return nil, err
	}
	ap, err := st.alphaAt(prev)
	if err != nil {
		return nil, err
	}
	bt := 1 - at
	sat, sbt := sqrt32(at), sqrt32(bt)
	bp := 1 - ap
	variance := (bp / bt) * (1 - at/ap)
	std := st.eta * sqrt32(variance)
	dirCoef := sqrt32(1 - ap - std*std)
	sap := sqrt32(ap)

	out, o := like(sample)
	m, x := data(modelOutput), data(sample)
	for i := range o {
		var x0, eps float32
		switch s.prediction {
		case "epsilon":
			x0 = (x[i] - sbt*m[i]) / sat
			eps = m[i]
		case "sample":
			x0 = m[i]
			eps = (x[i] - sat*x0) / sbt
		default: // v_prediction
			x0 = sat*x[i] - sbt*m[i]
			eps = sat*m[i] + sbt*x[i]
		}
		x0 = s.clip.apply(x0)
		o[i] = sap*x0 + dirCoef*eps
	}
	if st.eta > 0 {
		if g == nil {
			return nil, fmt.Errorf("schedulers: DDIM with eta > 0 needs a generator")
		}
		noise := data(g.Randn(tensor.Shape(sample)...))
		for i := range o {
			o[i] = o[i] + std*noise[i]
		}
	}
	return out, nil
}
