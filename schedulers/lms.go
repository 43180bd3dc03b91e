package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "LMSDiscreteScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"use_karras_sigmas":      false,
			"use_exponential_sigmas": false,
			"use_beta_sigmas":        false,
		}),
		New: newLMS,
	})
	Register(Class{
		Name: "HeunDiscreteScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"beta_start":             0.00085,
			"beta_end":               0.012,
			"use_karras_sigmas":      false,
			"use_exponential_sigmas": false,
			"use_beta_sigmas":        false,
			"clip_sample":            false,
			"clip_sample_range":      1.0,
		}),
		New: newHeun,
	})
}

// kScheduler holds the config shared by LMS and Heun.
type kScheduler struct {
	baseScheduler
	settings
	spacingOpt sigmaSpacing
}

func readK(p *params, class string, order int, predictions ...string) (kScheduler, error) {
	set, err := readSettings(p, noRescale, predictions...)
	if err != nil {
		return kScheduler{}, err
	}
	s := kScheduler{baseScheduler: baseScheduler{class: class, cfg: p.m, order: order}, settings: set}
	s.spacingOpt = readSigmaSpacing(p, false)
	return s, p.err
}

// schedule computes timesteps and sigmas (without the final zero) for n
// steps or explicit timesteps.
func (s *kScheduler) schedule(n int, explicit []float64) (ts, sigmas []float64, err error) {
	if explicit != nil {
		if s.spacingOpt.active() {
			return nil, nil, fmt.Errorf("schedulers: explicit timesteps cannot be combined with karras or exponential sigmas")
		}
		ts = f32All(append([]float64(nil), explicit...))
		n = len(ts)
	} else {
		if n <= 0 || n > s.ts.numTrain {
			return nil, nil, fmt.Errorf("schedulers: invalid step count %d", n)
		}
		ts, err = kTimesteps(s.spacing, s.ts.numTrain, n, s.offset)
		if err != nil {
			return nil, nil, err
		}
	}
	train := s.ts.trainSigmas()
	sigmas = InterpSigmas(ts, train)
	if s.spacingOpt.active() {
		sigmas, ts = s.spacingOpt.apply(sigmas, n, LogSigmas(train))
	}
	return f32All(ts), sigmas, nil
}

// LMS implements LMSDiscreteScheduler (linear multistep on the sigma ODE,
// up to 4 previous derivatives).
type LMS struct{ kScheduler }

func newLMS(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	k, err := readK(p, "LMSDiscreteScheduler", 1, "epsilon", "sample", "v_prediction")
	if err != nil {
		return nil, err
	}
	return &LMS{k}, nil
}

// NewState implements Scheduler.
func (s *LMS) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.timesteps != nil || o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: LMSDiscreteScheduler does not take explicit timesteps or sigmas")
	}
	ts, sg, err := s.schedule(steps, nil)
	if err != nil {
		return nil, err
	}
	sg = f32All(append(sg, 0))
	b := kState{sigmaBase: newSigmaBase(ts, sg, steps, 1, false), spacing: s.spacing}
	return &lmsState{kState: b, s: s}, nil
}

type lmsState struct {
	kState
	s           *LMS
	derivatives [][]float32
}

// lmsCoefficient integrates the Lagrange basis polynomial of the given
// order for current over [sigmas[t], sigmas[t+1]] (exact Gauss-Legendre
// quadrature: the integrand has degree order-1 <= 3).
func (st *lmsState) lmsCoefficient(order, t, current int) float64 {
	sg := st.sigmas
	f := func(tau float64) float64 {
		prod := 1.0
		for k := 0; k < order; k++ {
			if k == current {
				continue
			}
			prod *= (tau - sg[t-k]) / (sg[t-current] - sg[t-k])
		}
		return prod
	}
	a, b := sg[t], sg[t+1]
	// three-point Gauss-Legendre on [a, b]
	const x1 = 0.7745966692414834
	mid, half := (a+b)/2, (b-a)/2
	return half * (5.0/9*f(mid-half*x1) + 8.0/9*f(mid) + 5.0/9*f(mid+half*x1))
}

func (st *lmsState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, _ *rng.Generator) (*tensor.Dense, error) {
	const maxOrder = 4
	if err := st.beginStep(modelOutput, sample, t); err != nil {
		return nil, err
	}
	sigma := float32(st.sigmas[st.idx])
	vs, vd := vCoefs(sigma)
	m, x := data(modelOutput), data(sample)
	d := make([]float32, len(x))
	for i := range d {
		x0 := predictX0(st.s.prediction, m[i], x[i], sigma, vs, vd)
		d[i] = (x[i] - x0) / sigma
	}
	st.derivatives = append(st.derivatives, d)
	if len(st.derivatives) > maxOrder {
		st.derivatives = st.derivatives[1:]
	}
	order := min(st.idx+1, maxOrder)
	out, o := like(sample)
	acc := make([]float32, len(x))
	n := len(st.derivatives)
	for k := 0; k < order && k < n; k++ {
		c := float32(st.lmsCoefficient(order, st.idx, k))
		dk := st.derivatives[n-1-k]
		for i := range acc {
			if k == 0 {
				acc[i] = c * dk[i]
			} else {
				acc[i] = acc[i] + c*dk[i]
			}
		}
	}
	for i := range o {
		o[i] = x[i] + acc[i]
	}
	st.idx++
	return out, nil
}
