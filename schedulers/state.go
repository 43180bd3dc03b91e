package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// The State implementations share their trivial methods through the types
// below, embedded by every state:
//
//	schedule        Timesteps, NumInferenceSteps
//	alphaState      + Sigmas (nil), Order (1), InitNoiseSigma (1), ScaleModelInput (identity),
//	                  SetBeginIndex (no-op), AddNoise with alphas_cumprod: DDIM, DDPM, PNDM
//	sigmaBase       + Sigmas, Order, SetBeginIndex, the step index and the opening of Step
//	kState          + InitNoiseSigma, ScaleModelInput, AddNoise of the k-diffusion
//	                  schedulers: Euler, Heun, LMS
//	multistepState  + InitNoiseSigma (1), ScaleModelInput (identity), AddNoise with
//	                  alpha_t, sigma_t: DPMSolver, UniPC

// schedule is the timesteps a state visits and its inference-step count.
type schedule struct {
	timesteps []float64
	steps     int
}

func (s *schedule) Timesteps() []float64   { return s.timesteps }
func (s *schedule) NumInferenceSteps() int { return s.steps }

// unscaled is a state whose model input is the sample itself and whose
// initial noise has unit variance.
type unscaled struct{}

func (unscaled) InitNoiseSigma() float64 { return 1 }

func (unscaled) ScaleModelInput(x *tensor.Dense, _ float64) (*tensor.Dense, error) { return x, nil }

// alphaState is what the DDPM-family states (DDIM, DDPM, PNDM) share: no
// sigmas, first order, no begin index, noise added with alphas_cumprod.
type alphaState struct {
	schedule
	unscaled
	alphasCumprod []float64
}

func (*alphaState) Sigmas() []float64 { return nil }
func (*alphaState) Order() int        { return 1 }
func (*alphaState) SetBeginIndex(int) {}

func (st *alphaState) AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	return addNoiseAlphas(st.alphasCumprod, original, noise, t)
}

// stepIndex tracks the position in the schedule for the k-diffusion style
// schedulers (index found from the first timestep, or a begin index).
type stepIndex struct {
	idx   int // -1 until known
	begin int // -1 unless set
	// lastIfMissing makes an unknown timestep map to the last index (the
	// multistep solvers) instead of failing.
	lastIfMissing bool
}

func newStepIndex(lastIfMissing bool) stepIndex {
	return stepIndex{idx: -1, begin: -1, lastIfMissing: lastIfMissing}
}

func (s *stepIndex) SetBeginIndex(i int) { s.begin = i }

// ensure sets the index from t on first use.
func (s *stepIndex) ensure(ts []float64, t float64) error {
	if s.idx >= 0 {
		return nil
	}
	if s.begin >= 0 {
		s.idx = s.begin
		return nil
	}
	var hits []int
	for i, v := range ts {
		if float32(v) == float32(t) {
			hits = append(hits, i)
		}
	}
	switch {
	case len(hits) == 0 && s.lastIfMissing:
		s.idx = len(ts) - 1
	case len(hits) == 0:
		return fmt.Errorf("schedulers: timestep %v is not in the schedule", t)
	case len(hits) > 1:
		s.idx = hits[1]
	default:
		s.idx = hits[0]
	}
	return nil
}

// indexFor is index_for_timestep without touching the state.
func (s *stepIndex) indexFor(ts []float64, t float64) (int, error) {
	c := stepIndex{idx: -1, begin: -1, lastIfMissing: s.lastIfMissing}
	if err := c.ensure(ts, t); err != nil {
		return 0, err
	}
	return c.idx, nil
}

// noiseIndex picks the sigma index add_noise uses: the begin index when set
// (or the current step once stepping started), else the timestep's index.
func (s *stepIndex) noiseIndex(ts []float64, t float64) (int, error) {
	if s.begin < 0 {
		return s.indexFor(ts, t)
	}
	if s.idx >= 0 {
		return s.idx, nil
	}
	return s.begin, nil
}

// sigmaBase holds what every sigma-parameterised state shares.
type sigmaBase struct {
	schedule
	stepIndex
	sigmas []float64
	order  int
}

func newSigmaBase(timesteps, sigmas []float64, steps, order int, lastIfMissing bool) sigmaBase {
	return sigmaBase{schedule: schedule{timesteps: timesteps, steps: steps}, stepIndex: newStepIndex(lastIfMissing),
		sigmas: sigmas, order: order}
}

func (b *sigmaBase) Sigmas() []float64 { return b.sigmas }
func (b *sigmaBase) Order() int        { return b.order }

func (b *sigmaBase) checkStep(extra int) error {
	if b.idx < 0 || b.idx+extra >= len(b.sigmas) {
		return fmt.Errorf("schedulers: step %d is past the end of the %d-step schedule", b.idx, len(b.timesteps))
	}
	return nil
}

// beginStep is the opening of every first-order sigma Step: the model
// output must match the sample, the step index is found from t on first
// use, and a next sigma must exist.
func (b *sigmaBase) beginStep(modelOutput, sample *tensor.Dense, t float64) error {
	if err := sameShape(modelOutput, sample); err != nil {
		return err
	}
	if err := b.ensure(b.timesteps, t); err != nil {
		return err
	}
	return b.checkStep(1)
}

// kState is what the k-diffusion style states (Euler, Heun, LMS) share.
type kState struct {
	sigmaBase
	spacing string // timestep_spacing, for InitNoiseSigma
}

// InitNoiseSigma is max(sigmas), or sqrt(max²+1) for "leading" spacing.
func (b *kState) InitNoiseSigma() float64 { return kInitNoiseSigma(b.sigmas, b.spacing) }

// ScaleModelInput divides the sample by sqrt(sigma²+1).
func (b *kState) ScaleModelInput(x *tensor.Dense, t float64) (*tensor.Dense, error) {
	if err := b.ensure(b.timesteps, t); err != nil {
		return nil, err
	}
	if err := b.checkStep(0); err != nil {
		return nil, err
	}
	return scaleBySigma(x, float32(b.sigmas[b.idx])), nil
}

// AddNoise is original + noise·sigma at t's sigma (or the begin/current
// step's, as diffusers' add_noise picks it).
func (b *kState) AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	i, err := b.noiseIndex(b.timesteps, t)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(b.sigmas) {
		return nil, fmt.Errorf("schedulers: add_noise index %d out of range", i)
	}
	return addNoiseSigma(original, noise, float32(b.sigmas[i]))
}

// multistepState is what the multistep solvers (DPMSolver, UniPC) share.
type multistepState struct {
	sigmaBase
	unscaled
}

// AddNoise is alpha_t·original + sigma_t·noise at t's sigma.
func (b *multistepState) AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	i, err := b.noiseIndex(b.timesteps, t)
	if err != nil {
		return nil, err
	}
	return addNoiseAlphaSigma(b.sigmas, i, original, noise)
}
