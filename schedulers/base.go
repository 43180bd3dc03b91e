package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// trainSchedule is the training-time noise schedule shared by all classes.
type trainSchedule struct {
	numTrain      int
	betas         []float64 // float32 precision
	alphasCumprod []float64 // float32 precision
}

// commonDefaults returns the config keys every scheduler here accepts.
func commonDefaults() map[string]any {
	return map[string]any{
		"num_train_timesteps": 1000.0,
		"beta_start":          0.0001,
		"beta_end":            0.02,
		"beta_schedule":       "linear",
		"trained_betas":       nil,
		"prediction_type":     "epsilon",
		"timestep_spacing":    "linspace",
		"steps_offset":        0.0,
	}
}

func merge(a map[string]any, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// readTrainSchedule builds betas and alphas_cumprod from the config.
// rescale applies rescale_betas_zero_snr; zeroSNRLast sets the last
// alphas_cumprod to 2^-24 as the sigma schedulers do after rescaling.
func readTrainSchedule(p *params, rescale, zeroSNRLast bool) (trainSchedule, error) {
	n := p.int("num_train_timesteps")
	start, end := p.float("beta_start"), p.float("beta_end")
	sched := p.str("beta_schedule")
	trained := p.floats("trained_betas")
	if p.err != nil {
		return trainSchedule{}, p.err
	}
	if n <= 0 {
		return trainSchedule{}, fmt.Errorf("num_train_timesteps must be positive, got %d", n)
	}
	betas, err := Betas(sched, start, end, n, trained)
	if err != nil {
		return trainSchedule{}, err
	}
	if trained != nil {
		n = len(betas)
	}
	if rescale {
		betas = RescaleZeroTerminalSNR(betas)
	}
	ac := AlphasCumprod(betas)
	if rescale && zeroSNRLast {
		ac[len(ac)-1] = math.Ldexp(1, -24)
	}
	return trainSchedule{numTrain: n, betas: betas, alphasCumprod: ac}, nil
}

// betaRescale says how a scheduler treats rescale_betas_zero_snr.
type betaRescale int

const (
	noRescale     betaRescale = iota // the key is not read (PNDM, LMS, Heun)
	rescaleAlphas                    // rescaled betas as configured (DDIM, DDPM)
	rescaleSigmas                    // and the last alphas_cumprod set to 2^-24 (sigma schedulers)
)

// settings are the config keys every scheduler reads alike.
type settings struct {
	ts         trainSchedule
	prediction string // prediction_type
	spacing    string // timestep_spacing
	offset     int    // steps_offset
}

// readSettings reads prediction_type (one of predictions), timestep_spacing,
// steps_offset and the training schedule.
func readSettings(p *params, rescale betaRescale, predictions ...string) (settings, error) {
	s := settings{
		prediction: p.oneOf("prediction_type", predictions...),
		spacing:    p.oneOf("timestep_spacing", "linspace", "leading", "trailing"),
		offset:     p.int("steps_offset"),
	}
	var err error
	s.ts, err = readTrainSchedule(p, rescale != noRescale && p.bool("rescale_betas_zero_snr"), rescale == rescaleSigmas)
	return s, err
}

// alphaSettings are what DDIM and DDPM read alike: the settings and
// clip_sample with its range.
type alphaSettings struct {
	settings
	clip clipping
}

// readAlphaSettings reads the alphaSettings and refuses thresholding.
func readAlphaSettings(p *params) (alphaSettings, error) {
	set, err := readSettings(p, rescaleAlphas, "epsilon", "sample", "v_prediction")
	if err != nil {
		return alphaSettings{}, err
	}
	if p.bool("thresholding") {
		return alphaSettings{}, fmt.Errorf("thresholding is not supported")
	}
	return alphaSettings{settings: set, clip: readClipping(p)}, nil
}

// finalAlpha is the alphas_cumprod DDIM and PNDM step to after the last
// timestep: 1 with set_alpha_to_one, else alphas_cumprod[0].
func (ts trainSchedule) finalAlpha(setAlphaToOne bool) float64 {
	if setAlphaToOne {
		return 1
	}
	return ts.alphasCumprod[0]
}

// finalSigma is the sigma appended after the last step: sigma_min
// (sqrt((1-a0)/a0), in float32) for final_sigmas_type "sigma_min", else 0.
func (ts trainSchedule) finalSigma(sigmaMin bool) float64 {
	if !sigmaMin {
		return 0
	}
	a := float32(ts.alphasCumprod[0])
	return float64(sqrt32((1 - a) / a))
}

// clipping is clip_sample and clip_sample_range.
type clipping struct {
	on    bool
	limit float32
}

func readClipping(p *params) clipping {
	return clipping{on: p.bool("clip_sample"), limit: float32(p.float("clip_sample_range"))}
}

// apply clamps a predicted x0 to [-limit, limit] when clipping is on.
func (c clipping) apply(x float32) float32 {
	if !c.on {
		return x
	}
	return clamp32(x, -c.limit, c.limit)
}

// trainSigmas are ((1-a)/a)^0.5 for every training step, ascending in t.
func (ts trainSchedule) trainSigmas() []float64 { return SigmasFromAlphasCumprod(ts.alphasCumprod) }

// baseScheduler implements the Scheduler methods shared by all classes.
type baseScheduler struct {
	class string
	cfg   map[string]any
	order int
}

func (b *baseScheduler) ClassName() string      { return b.class }
func (b *baseScheduler) Config() map[string]any { return copyConfig(b.cfg) }
func (b *baseScheduler) Order() int             { return b.order }

// Elementwise helpers on float32 tensors.

func data(t *tensor.Dense) []float32 { return tensor.F32(t) }

func sameShape(a, b *tensor.Dense) error {
	sa, sb := tensor.Shape(a), tensor.Shape(b)
	if len(sa) != len(sb) {
		return fmt.Errorf("schedulers: shape %v does not match %v", sa, sb)
	}
	for i := range sa {
		if sa[i] != sb[i] {
			return fmt.Errorf("schedulers: shape %v does not match %v", sa, sb)
		}
	}
	return nil
}

func like(t *tensor.Dense) (*tensor.Dense, []float32) {
	out := tensor.New(tensor.Shape(t)...)
	return out, tensor.F32(out)
}

func clone(t *tensor.Dense) *tensor.Dense {
	out, d := like(t)
	copy(d, data(t))
	return out
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
func exp32(x float32) float32  { return float32(math.Exp(float64(x))) }
func log32(x float32) float32  { return float32(math.Log(float64(x))) }

func clamp32(x, lo, hi float32) float32 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// addNoiseAlphas is the DDPM-family add_noise:
// sqrt(a_t)*x0 + sqrt(1-a_t)*noise with a_t = alphas_cumprod[t].
func addNoiseAlphas(ac []float64, original, noise *tensor.Dense, t float64) (*tensor.Dense, error) {
	if err := sameShape(original, noise); err != nil {
		return nil, err
	}
	ti := int(t)
	if float64(ti) != t || ti < 0 || ti >= len(ac) {
		return nil, fmt.Errorf("schedulers: add_noise timestep %v out of range", t)
	}
	a := float32(ac[ti])
	sa := sqrt32(a)
	sb := sqrt32(1 - a)
	out, o := like(original)
	x, n := data(original), data(noise)
	for i := range o {
		o[i] = sa*x[i] + sb*n[i]
	}
	return out, nil
}

// sigmaToAlphaSigma is _sigma_to_alpha_sigma_t: alpha = 1/sqrt(s^2+1),
// sigma_t = s*alpha, in float32.
func sigmaToAlphaSigma(s float32) (alpha, sigma float32) {
	alpha = 1 / sqrt32(s*s+1)
	return alpha, s * alpha
}

// state returns the alphaState of a DDPM-family generation.
func (ts trainSchedule) state(timesteps []float64, steps int) alphaState {
	return alphaState{schedule: schedule{timesteps: timesteps, steps: steps}, alphasCumprod: ts.alphasCumprod}
}
