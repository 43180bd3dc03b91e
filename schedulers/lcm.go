package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "LCMScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"beta_start":                 0.00085,
			"beta_end":                   0.012,
			"beta_schedule":              "scaled_linear",
			"original_inference_steps":   50.0,
			"clip_sample":                false,
			"clip_sample_range":          1.0,
			"set_alpha_to_one":           true,
			"thresholding":               false,
			"dynamic_thresholding_ratio": 0.995,
			"sample_max_value":           1.0,
			"timestep_spacing":           "leading",
			"timestep_scaling":           10.0,
			"rescale_betas_zero_snr":     false,
		}),
		New: newLCM,
	})
}

// lcmSigmaData is the consistency models' sigma_data.
const lcmSigmaData = 0.5

// lcmOptions are LCMScheduler's extra set_timesteps arguments.
type lcmOptions struct {
	originalSteps int     // 0: the config's original_inference_steps
	strength      float64 // 0: 1.0
}

// WithOriginalInferenceSteps overrides LCMScheduler's
// original_inference_steps (the distillation schedule the inference
// timesteps are taken from); ignored by the other schedulers.
func WithOriginalInferenceSteps(n int) Option {
	return func(o *stateOptions) { o.lcm.originalSteps = n }
}

// WithStrength gives LCMScheduler the img2img strength, which shortens the
// distillation schedule before the inference timesteps are picked (diffusers'
// set_timesteps(strength=...)); ignored by the other schedulers, whose
// pipelines cut with StrengthCut instead.
func WithStrength(s float64) Option {
	return func(o *stateOptions) { o.lcm.strength = s }
}

// LCM implements LCMScheduler (Luo et al. 2023, Latent Consistency Models):
// inference timesteps picked evenly from a coarse distillation schedule,
// consistency boundary-condition scalings, and fresh noise injected between
// steps.
type LCM struct {
	baseScheduler
	ts            trainSchedule
	prediction    string
	clip          bool
	clipRange     float32
	finalAlpha    float64
	originalSteps int
	scaling       float64
}

func newLCM(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	s := &LCM{baseScheduler: baseScheduler{class: "LCMScheduler", cfg: cfg, order: 1}}
	s.prediction = p.oneOf("prediction_type", "epsilon", "sample", "v_prediction")
	s.clip = p.bool("clip_sample")
	s.clipRange = float32(p.float("clip_sample_range"))
	s.originalSteps = p.int("original_inference_steps")
	s.scaling = p.float("timestep_scaling")
	p.oneOf("timestep_spacing", "linspace", "leading", "trailing")
	if p.bool("thresholding") {
		return nil, fmt.Errorf("thresholding is not supported")
	}
	ts, err := readTrainSchedule(p, p.bool("rescale_betas_zero_snr"), false)
	if err != nil {
		return nil, err
	}
	s.ts = ts
	s.finalAlpha = ts.alphasCumprod[0]
	if p.bool("set_alpha_to_one") {
		s.finalAlpha = 1
	}
	if p.err == nil && (s.originalSteps <= 0 || math.IsNaN(s.scaling) || math.IsInf(s.scaling, 0)) {
		return nil, fmt.Errorf("original_inference_steps must be positive and timestep_scaling finite")
	}
	return s, p.err
}

// originTimesteps is the distillation schedule (k-1, 2k-1, ...) of
// int(originalSteps*strength) entries, ascending.
func (s *LCM) originTimesteps(originalSteps int, strength float64) ([]float64, error) {
	if originalSteps <= 0 || originalSteps > s.ts.numTrain {
		return nil, fmt.Errorf("schedulers: original_inference_steps %d must be in [1, %d]", originalSteps, s.ts.numTrain)
	}
	if !(strength > 0 && strength <= 1) {
		return nil, fmt.Errorf("schedulers: strength %v must be in (0, 1]", strength)
	}
	k := s.ts.numTrain / originalSteps
	n := int(float64(originalSteps) * strength)
	out := make([]float64, n)
	for i := range out {
		out[i] = float64((i+1)*k - 1)
	}
	return out, nil
}

// NewState implements Scheduler (diffusers' set_timesteps; see
// WithOriginalInferenceSteps, WithStrength and WithTimesteps).
func (s *LCM) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: LCMScheduler does not take explicit sigmas")
	}
	orig, strength := o.lcm.originalSteps, o.lcm.strength
	if orig == 0 {
		orig = s.originalSteps
	}
	if strength == 0 {
		strength = 1
	}
	origin, err := s.originTimesteps(orig, strength)
	if err != nil {
		return nil, err
	}
	if o.timesteps != nil {
		return s.customState(o.timesteps, strength)
	}
	switch {
	case steps <= 0 || steps > s.ts.numTrain:
		return nil, fmt.Errorf("schedulers: invalid step count %d", steps)
	case len(origin)/steps < 1:
		return nil, fmt.Errorf("schedulers: original_inference_steps x strength (%d x %v) is smaller than the %d inference steps", orig, strength, steps)
	case steps > orig:
		return nil, fmt.Errorf("schedulers: %d inference steps exceed original_inference_steps %d", steps, orig)
	}
	reverse(origin)
	ts := make([]float64, steps)
	step := float64(len(origin)) / float64(steps)
	for i := range ts {
		ts[i] = origin[int(math.Floor(float64(i)*step))]
	}
	return &lcmState{s: s, timesteps: ts, steps: steps, idx: newStepIndex(false)}, nil
}

// customState checks explicit timesteps as diffusers does and applies the
// strength cut to them.
func (s *LCM) customState(ts []float64, strength float64) (State, error) {
	for i, t := range ts {
		if t != math.Trunc(t) || t < 0 {
			return nil, fmt.Errorf("schedulers: timestep %v is not a non-negative integer", t)
		}
		if i > 0 && t >= ts[i-1] {
			return nil, fmt.Errorf("schedulers: custom timesteps must be in descending order")
		}
	}
	if len(ts) == 0 || ts[0] >= float64(s.ts.numTrain) {
		return nil, fmt.Errorf("schedulers: custom timesteps must start below num_train_timesteps %d", s.ts.numTrain)
	}
	n := len(ts)
	initT := int(float64(n) * strength)
	if initT > n {
		initT = n
	}
	start := n - initT
	return &lcmState{s: s, timesteps: ts[start:], steps: n, idx: newStepIndex(false)}, nil
}

type lcmState struct {
	s         *LCM
	timesteps []float64
	steps     int
	idx       stepIndex
	denoised  *tensor.Dense
}

func (st *lcmState) Timesteps() []float64    { return st.timesteps }
func (st *lcmState) Sigmas() []float64       { return nil }
func (st *lcmState) NumInferenceSteps() int  { return st.steps }
func (st *lcmState) Order() int              { return 1 }
func (st *lcmState) InitNoiseSigma() float64 { return 1 }
func (st *lcmState) SetBeginIndex(i int)     { st.idx.SetBeginIndex(i) }

func (st *lcmState) ScaleModelInput(x *tensor.Dense, _ float64) (*tensor.Dense, error) {
	return x, nil
}

func (st *lcmState) AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	return addNoiseAlphas(st.s.ts.alphasCumprod, original, noise, t)
}

// Denoised is the consistency function's estimate of the clean sample from
// the last Step (diffusers' step(...).denoised), nil before the first step.
// It equals the returned sample on the final step.
func (st *lcmState) Denoised() *tensor.Dense { return st.denoised }

// boundaryScalings are c_skip and c_out for timestep t, in float32 as the
// reference computes them on a tensor.
func (st *lcmState) boundaryScalings(t float64) (cSkip, cOut float32) {
	scaled := float32(t) * float32(st.s.scaling)
	sd2 := float32(lcmSigmaData * lcmSigmaData)
	d := scaled*scaled + sd2
	return sd2 / d, scaled / sqrt32(d)
}

func (st *lcmState) alphas(t float64) (at, aprev float32, err error) {
	ac := st.s.ts.alphasCumprod
	ti := int(t)
	if float64(ti) != t || ti < 0 || ti >= len(ac) {
		return 0, 0, fmt.Errorf("schedulers: timestep %v out of range", t)
	}
	prev := t
	if st.idx.idx+1 < len(st.timesteps) {
		prev = st.timesteps[st.idx.idx+1]
	}
	aprev = float32(st.s.finalAlpha)
	if prev >= 0 {
		aprev = float32(ac[int(prev)])
	}
	return float32(ac[ti]), aprev, nil
}

// Step implements State: the consistency estimate of x0 from the model
// output, then (except on the last inference step) re-noised to the next
// timestep with noise drawn from g.
func (st *lcmState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	if err := sameShape(modelOutput, sample); err != nil {
		return nil, err
	}
	if err := st.idx.ensure(st.timesteps, t); err != nil {
		return nil, err
	}
	at, ap, err := st.alphas(t)
	if err != nil {
		return nil, err
	}
	cSkip, cOut := st.boundaryScalings(t)
	sat, sbt := sqrt32(at), sqrt32(1-at)
	den, d := like(sample)
	m, x := data(modelOutput), data(sample)
	for i := range d {
		var x0 float32
		switch st.s.prediction {
		case "epsilon":
			x0 = (x[i] - sbt*m[i]) / sat
		case "sample":
			x0 = m[i]
		default: // v_prediction
			x0 = sat*x[i] - sbt*m[i]
		}
		if st.s.clip {
			x0 = clamp32(x0, -st.s.clipRange, st.s.clipRange)
		}
		d[i] = cOut*x0 + cSkip*x[i]
	}
	st.denoised = den
	last := st.idx.idx == st.steps-1
	st.idx.idx++
	if last {
		return den, nil
	}
	if g == nil {
		return nil, fmt.Errorf("schedulers: LCMScheduler needs a generator")
	}
	noise := data(g.Randn(tensor.Shape(sample)...))
	out, o := like(sample)
	sap, sbp := sqrt32(ap), sqrt32(1-ap)
	for i := range o {
		o[i] = sap*d[i] + sbp*noise[i]
	}
	return out, nil
}
