package schedulers

import (
	"math"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// Scheduler is an immutable, shareable scheduler configuration. Stepping
// happens on a State made per generation by NewState.
type Scheduler interface {
	// ClassName is the diffusers class name.
	ClassName() string
	// Config returns the effective configuration (every accepted key).
	Config() map[string]any
	// Order is the number of model evaluations per inference step (2 for
	// Heun, 1 otherwise), as diffusers' scheduler.order.
	Order() int
	// NewState sets up a generation of steps inference steps (diffusers'
	// set_timesteps). Options may give explicit timesteps or sigmas instead,
	// in which case steps may be 0.
	NewState(steps int, opts ...Option) (State, error)
}

// State is one generation's stepping state: timesteps, sigmas, history and
// step index. It is not safe for concurrent use; make one per generation.
type State interface {
	// Timesteps are the model timesteps in the order they are visited
	// (integer valued for the DDPM family, fractional for some sigma
	// schedules). The slice must not be modified.
	Timesteps() []float64
	// Sigmas are the noise levels of the sigma-parameterised schedulers
	// (one more than the timesteps), nil for the others.
	Sigmas() []float64
	// NumInferenceSteps is the step count the state was made for.
	NumInferenceSteps() int
	// Order is the scheduler's order.
	Order() int
	// InitNoiseSigma is the factor the initial noise is scaled by.
	InitNoiseSigma() float64
	// ScaleModelInput returns the model input for sample at timestep t
	// (sample itself when the scheduler does not scale).
	ScaleModelInput(sample *tensor.Dense, t float64) (*tensor.Dense, error)
	// Step advances sample from timestep t using the model's output and
	// returns the previous (less noisy) sample. Schedulers that inject noise
	// draw it from g, in the order diffusers draws it; g may be nil for the
	// others.
	Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error)
	// AddNoise noises original to timestep t (img2img, inpainting).
	AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error)
	// SetBeginIndex sets the step index the first step starts from
	// (diffusers' set_begin_index; a no-op for schedulers without one).
	SetBeginIndex(i int)
}

// Option adjusts NewState.
type Option func(*stateOptions)

type stateOptions struct {
	timesteps []float64
	sigmas    []float64
	eta       float64
}

// WithTimesteps uses explicit timesteps (descending) instead of a step count,
// for the schedulers that accept them.
func WithTimesteps(ts []float64) Option {
	return func(o *stateOptions) { o.timesteps = append([]float64(nil), ts...) }
}

// WithSigmas uses explicit sigmas (descending, including the final one for
// EulerDiscreteScheduler) instead of a step count, where accepted.
func WithSigmas(s []float64) Option {
	return func(o *stateOptions) { o.sigmas = append([]float64(nil), s...) }
}

// WithEta sets DDIM's eta (the weight of the injected noise); ignored by the
// other schedulers.
func WithEta(eta float64) Option { return func(o *stateOptions) { o.eta = eta } }

func collect(opts []Option) stateOptions {
	var o stateOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// StrengthCut applies an img2img/inpainting strength to a fresh state as
// diffusers' pipelines do (get_timesteps): it keeps the last
// min(int(steps*strength), steps) inference steps, sets the begin index and
// returns the timesteps still to run and their inference-step count.
func StrengthCut(st State, steps int, strength float64) ([]float64, int) {
	initT := int(float64(steps) * strength)
	if initT > steps {
		initT = steps
	}
	tStart := steps - initT
	if tStart < 0 {
		tStart = 0
	}
	ts := st.Timesteps()
	from := tStart * st.Order()
	if from > len(ts) {
		from = len(ts)
	}
	st.SetBeginIndex(from)
	return ts[from:], steps - tStart
}

// DenoisingStartCut starts a state part-way through (SDXL img2img
// denoising_start in [0, 1)): it keeps the timesteps below the cut-off
// (plus one for second-order schedulers when the count is even), sets the
// begin index and returns the timesteps to run and their count.
func DenoisingStartCut(st State, numTrainTimesteps int, denoisingStart float64) ([]float64, int) {
	cutoff := float64(int(math.RoundToEven(float64(numTrainTimesteps) - denoisingStart*float64(numTrainTimesteps))))
	ts := st.Timesteps()
	n := 0
	for _, t := range ts {
		if t < cutoff {
			n++
		}
	}
	if st.Order() == 2 && n%2 == 0 {
		n++
	}
	if n > len(ts) {
		n = len(ts)
	}
	start := len(ts) - n
	st.SetBeginIndex(start)
	return ts[start:], n
}

// DenoisingEndCut returns the leading timesteps kept when a generation stops
// at denoisingEnd in (0, 1) (SDXL base+refiner): those at or above the
// cut-off.
func DenoisingEndCut(ts []float64, numTrainTimesteps int, denoisingEnd float64) []float64 {
	cutoff := float64(int(math.RoundToEven(float64(numTrainTimesteps) - denoisingEnd*float64(numTrainTimesteps))))
	n := 0
	for _, t := range ts {
		if t >= cutoff {
			n++
		}
	}
	return ts[:n]
}
