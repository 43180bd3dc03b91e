package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "EulerDiscreteScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"interpolation_type":     "linear",
			"use_karras_sigmas":      false,
			"use_exponential_sigmas": false,
			"use_beta_sigmas":        false,
			"sigma_min":              nil,
			"sigma_max":              nil,
			"timestep_type":          "discrete",
			"rescale_betas_zero_snr": false,
			"final_sigmas_type":      "zero",
		}),
		New: newEuler,
	})
	Register(Class{
		Name: "EulerAncestralDiscreteScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"rescale_betas_zero_snr": false,
		}),
		New: newEulerAncestral,
	})
}

// Euler implements EulerDiscreteScheduler and, with ancestral set,
// EulerAncestralDiscreteScheduler (Karras et al. 2022, Algorithm 2 without
// churn; the ancestral variant adds fresh noise every step).
type Euler struct {
	baseScheduler
	ts          trainSchedule
	ancestral   bool
	prediction  string
	spacing     string
	offset      int
	interp      string
	spacingOpt  sigmaSpacing
	continuous  bool
	finalSigMin bool
}

func newEuler(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	s := &Euler{baseScheduler: baseScheduler{class: "EulerDiscreteScheduler", cfg: cfg, order: 1}}
	s.prediction = p.oneOf("prediction_type", "epsilon", "v_prediction", "sample", "original_sample")
	s.spacing = p.oneOf("timestep_spacing", "linspace", "leading", "trailing")
	s.offset = p.int("steps_offset")
	s.interp = p.oneOf("interpolation_type", "linear", "log_linear")
	s.spacingOpt = readSigmaSpacing(p, true)
	s.continuous = p.oneOf("timestep_type", "discrete", "continuous") == "continuous" && s.prediction == "v_prediction"
	s.finalSigMin = p.oneOf("final_sigmas_type", "zero", "sigma_min") == "sigma_min"
	ts, err := readTrainSchedule(p, p.bool("rescale_betas_zero_snr"), true)
	if err != nil {
		return nil, err
	}
	s.ts = ts
	return s, p.err
}

func newEulerAncestral(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	s := &Euler{baseScheduler: baseScheduler{class: "EulerAncestralDiscreteScheduler", cfg: cfg, order: 1}, ancestral: true}
	s.prediction = p.oneOf("prediction_type", "epsilon", "v_prediction")
	s.spacing = p.oneOf("timestep_spacing", "linspace", "leading", "trailing")
	s.offset = p.int("steps_offset")
	s.interp = "linear"
	ts, err := readTrainSchedule(p, p.bool("rescale_betas_zero_snr"), true)
	if err != nil {
		return nil, err
	}
	s.ts = ts
	return s, p.err
}

// NewState implements Scheduler.
func (s *Euler) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if s.ancestral && (o.timesteps != nil || o.sigmas != nil) {
		return nil, fmt.Errorf("schedulers: %s does not take explicit timesteps or sigmas", s.class)
	}
	if o.timesteps != nil && o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: give timesteps or sigmas, not both")
	}
	if (o.timesteps != nil || o.sigmas != nil) && s.spacingOpt.active() {
		return nil, fmt.Errorf("schedulers: explicit timesteps or sigmas cannot be combined with karras or exponential sigmas")
	}
	train := s.ts.trainSigmas()
	logSig := LogSigmas(train)
	var timesteps, sigmas []float64
	switch {
	case o.sigmas != nil:
		if len(o.sigmas) < 2 {
			return nil, fmt.Errorf("schedulers: need at least two sigmas")
		}
		sigmas = f32All(append([]float64(nil), o.sigmas...))
		for _, sg := range sigmas[:len(sigmas)-1] {
			timesteps = append(timesteps, SigmaToT32(float32(sg), logSig))
		}
		steps = len(sigmas) - 1
	default:
		if o.timesteps != nil {
			timesteps = f32All(append([]float64(nil), o.timesteps...))
			steps = len(timesteps)
		} else {
			if steps <= 0 || steps > s.ts.numTrain {
				return nil, fmt.Errorf("schedulers: invalid step count %d", steps)
			}
			var err error
			timesteps, err = kTimesteps(s.spacing, s.ts.numTrain, steps, s.offset)
			if err != nil {
				return nil, err
			}
		}
		if s.interp == "log_linear" {
			// steps+1 log-spaced values from the largest training sigma down;
			// the final sigma is appended after them as for "linear".
			l := TorchLinspace32(logSig[len(logSig)-1], logSig[0], steps+1)
			sigmas = make([]float64, len(l))
			for i := range l {
				sigmas[i] = float64(exp32(float32(l[i])))
			}
		} else {
			sigmas = InterpSigmas(timesteps, train)
		}
		if s.spacingOpt.active() {
			sigmas, timesteps = s.spacingOpt.apply(sigmas, steps, logSig)
		}
		last := 0.0
		if s.finalSigMin {
			a := float32(s.ts.alphasCumprod[0])
			last = float64(sqrt32((1 - a) / a))
		}
		sigmas = f32All(append(sigmas, last))
	}
	timesteps = f32All(timesteps)
	if s.continuous {
		for i := range timesteps {
			timesteps[i] = float64(0.25 * log32(float32(sigmas[i])))
		}
	}
	b := kState{sigmaBase: newSigmaBase(timesteps, sigmas, steps, 1, false), spacing: s.spacing}
	return &eulerState{kState: b, s: s}, nil
}

type eulerState struct {
	kState
	s *Euler
}

func (st *eulerState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	if err := st.beginStep(modelOutput, sample, t); err != nil {
		return nil, err
	}
	sigma := float32(st.sigmas[st.idx])
	next := float32(st.sigmas[st.idx+1])
	vs, vd := vCoefs(sigma)
	m, x := data(modelOutput), data(sample)
	out, o := like(sample)
	if !st.s.ancestral {
		dt := next - sigma
		for i := range o {
			x0 := predictX0(st.s.prediction, m[i], x[i], sigma, vs, vd)
			d := (x[i] - x0) / sigma
			o[i] = x[i] + d*dt
		}
		st.idx++
		return out, nil
	}
	if g == nil {
		return nil, fmt.Errorf("schedulers: %s needs a generator", st.s.class)
	}
	sf2, st2 := sigma*sigma, next*next
	up := sqrt32(st2 * (sf2 - st2) / sf2)
	down := sqrt32(st2 - up*up)
	dt := down - sigma
	for i := range o {
		x0 := predictX0(st.s.prediction, m[i], x[i], sigma, vs, vd)
		d := (x[i] - x0) / sigma
		o[i] = x[i] + d*dt
	}
	noise := data(g.Randn(tensor.Shape(sample)...))
	for i := range o {
		o[i] = o[i] + noise[i]*up
	}
	st.idx++
	return out, nil
}
