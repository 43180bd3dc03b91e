package schedulers

import (
	"fmt"
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
	// lcm holds LCMScheduler's set_timesteps arguments.
	lcm lcmOptions
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
	stepIndex
	timesteps []float64
	sigmas    []float64
	steps     int
	order     int
}

func (b *sigmaBase) Timesteps() []float64   { return b.timesteps }
func (b *sigmaBase) Sigmas() []float64      { return b.sigmas }
func (b *sigmaBase) NumInferenceSteps() int { return b.steps }
func (b *sigmaBase) Order() int             { return b.order }

func (b *sigmaBase) checkStep(extra int) error {
	if b.idx < 0 || b.idx+extra >= len(b.sigmas) {
		return fmt.Errorf("schedulers: step %d is past the end of the %d-step schedule", b.idx, len(b.timesteps))
	}
	return nil
}

// ScaleModelInput divides the sample by sqrt(sigma²+1), as the
// k-diffusion style schedulers (Euler, Heun, LMS) do.
func (b *sigmaBase) ScaleModelInput(x *tensor.Dense, t float64) (*tensor.Dense, error) {
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
func (b *sigmaBase) AddNoise(original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	i, err := b.noiseIndex(b.timesteps, t)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(b.sigmas) {
		return nil, fmt.Errorf("schedulers: add_noise index %d out of range", i)
	}
	return addNoiseSigma(original, noise, float32(b.sigmas[i]))
}
