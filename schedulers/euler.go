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
	settings
	ancestral   bool
	interp      string
	spacingOpt  sigmaSpacing
	continuous  bool
	finalSigMin bool
}

func newEuler(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	set, err := readSettings(p, rescaleSigmas, "epsilon", "v_prediction", "sample", "original_sample")
	if err != nil {
		return nil, err
	}
	s := &Euler{baseScheduler: baseScheduler{class: "EulerDiscreteScheduler", cfg: cfg, order: 1}, settings: set}
	s.interp = p.oneOf("interpolation_type", "linear", "log_linear")
	s.spacingOpt = readSigmaSpacing(p, true)
	s.continuous = p.oneOf("timestep_type", "discrete", "continuous") == "continuous" && s.prediction == "v_prediction"
	s.finalSigMin = p.oneOf("final_sigmas_type", "zero", "sigma_min") == "sigma_min"
	return s, p.err
}

func newEulerAncestral(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	set, err := readSettings(p, rescaleSigmas, "epsilon", "v_prediction")
	if err != nil {
		return nil, err
	}
	s := &Euler{baseScheduler: baseScheduler{class: "EulerAncestralDiscreteScheduler", cfg: cfg, order: 1}, settings: set, ancestral: true}
	s.interp = "linear"
	return s, p.err
}

// NewState implements Scheduler.
func (s *Euler) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if err := s.checkExplicit(o); err != nil {
		return nil, err
	}
	train := s.ts.trainSigmas()
	logSig := LogSigmas(train)
	var timesteps, sigmas []float64
	var err error
	if o.sigmas != nil {
		timesteps, sigmas, steps, err = explicitSigmas(o.sigmas, logSig)
	} else {
		timesteps, sigmas, steps, err = s.schedule(steps, o.timesteps, train, logSig)
	}
	if err != nil {
		return nil, err
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

// checkExplicit refuses the explicit timesteps or sigmas the config cannot
// take.
func (s *Euler) checkExplicit(o stateOptions) error {
	explicit := o.timesteps != nil || o.sigmas != nil
	switch {
	case s.ancestral && explicit:
		return fmt.Errorf("schedulers: %s does not take explicit timesteps or sigmas", s.class)
	case o.timesteps != nil && o.sigmas != nil:
		return fmt.Errorf("schedulers: give timesteps or sigmas, not both")
	case explicit && s.spacingOpt.active():
		return fmt.Errorf("schedulers: explicit timesteps or sigmas cannot be combined with karras or exponential sigmas")
	}
	return nil
}

// explicitSigmas takes the caller's sigmas (the final one included) and
// maps each but the last to its fractional timestep.
func explicitSigmas(given, logSig []float64) (timesteps, sigmas []float64, steps int, err error) {
	if len(given) < 2 {
		return nil, nil, 0, fmt.Errorf("schedulers: need at least two sigmas")
	}
	sigmas = f32All(append([]float64(nil), given...))
	for _, sg := range sigmas[:len(sigmas)-1] {
		timesteps = append(timesteps, SigmaToT32(float32(sg), logSig))
	}
	return timesteps, sigmas, len(sigmas) - 1, nil
}

// schedule computes the timesteps (explicit ones, or steps spaced by
// timestep_spacing) and their sigmas, re-spaced when configured, with the
// final sigma appended.
func (s *Euler) schedule(steps int, explicit, train, logSig []float64) (timesteps, sigmas []float64, n int, err error) {
	if explicit != nil {
		timesteps = f32All(append([]float64(nil), explicit...))
		steps = len(timesteps)
	} else {
		if steps <= 0 || steps > s.ts.numTrain {
			return nil, nil, 0, fmt.Errorf("schedulers: invalid step count %d", steps)
		}
		if timesteps, err = kTimesteps(s.spacing, s.ts.numTrain, steps, s.offset); err != nil {
			return nil, nil, 0, err
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
	return timesteps, f32All(append(sigmas, s.ts.finalSigma(s.finalSigMin))), steps, nil
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
