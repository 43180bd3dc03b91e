package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "DPMSolverMultistepScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"solver_order":               2.0,
			"thresholding":               false,
			"dynamic_thresholding_ratio": 0.995,
			"sample_max_value":           1.0,
			"algorithm_type":             "dpmsolver++",
			"solver_type":                "midpoint",
			"lower_order_final":          true,
			"euler_at_final":             false,
			"use_karras_sigmas":          false,
			"use_exponential_sigmas":     false,
			"use_beta_sigmas":            false,
			"use_lu_lambdas":             false,
			"use_flow_sigmas":            false,
			"flow_shift":                 1.0,
			"final_sigmas_type":          "zero",
			"lambda_min_clipped":         math.Inf(-1),
			"variance_type":              nil,
			"rescale_betas_zero_snr":     false,
			"use_dynamic_shifting":       false,
			"time_shift_type":            "exponential",
		}),
		New: newDPM,
	})
}

// DPMSolver implements DPMSolverMultistepScheduler (Lu et al. 2022):
// DPM-Solver and DPM-Solver++ (ODE and SDE variants), orders 1 to 3,
// midpoint or Heun second-order updates.
type DPMSolver struct {
	baseScheduler
	settings
	order       int
	algorithm   string
	solverType  string
	lowerFinal  bool
	eulerFinal  bool
	spacingOpt  sigmaSpacing
	finalSigMin bool
	lambdaMin   float64
	cosine      bool
}

func newDPM(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	set, err := readSettings(p, rescaleSigmas, "epsilon", "sample", "v_prediction")
	if err != nil {
		return nil, err
	}
	s := &DPMSolver{baseScheduler: baseScheduler{class: "DPMSolverMultistepScheduler", cfg: cfg, order: 1}, settings: set}
	s.order = p.int("solver_order")
	if err := s.readSolver(p); err != nil {
		return nil, err
	}
	s.lowerFinal = p.bool("lower_order_final")
	s.eulerFinal = p.bool("euler_at_final")
	s.spacingOpt = readSigmaSpacing(p, false)
	if p.bool("use_lu_lambdas") || p.bool("use_flow_sigmas") || p.bool("use_dynamic_shifting") {
		return nil, fmt.Errorf("use_lu_lambdas, use_flow_sigmas and use_dynamic_shifting are not supported")
	}
	if p.bool("thresholding") || p.m["variance_type"] != nil {
		return nil, fmt.Errorf("thresholding and learned variance are not supported")
	}
	s.finalSigMin = p.oneOf("final_sigmas_type", "zero", "sigma_min") == "sigma_min"
	if (s.algorithm == "dpmsolver" || s.algorithm == "sde-dpmsolver") && !s.finalSigMin {
		return nil, fmt.Errorf("final_sigmas_type zero is not supported for algorithm_type %s", s.algorithm)
	}
	if s.order < 1 || s.order > 3 {
		return nil, fmt.Errorf("solver_order %d is not supported", s.order)
	}
	s.lambdaMin = math.Inf(-1)
	if v, ok := toFloat(p.m["lambda_min_clipped"]); ok {
		s.lambdaMin = v
	}
	s.cosine = p.str("beta_schedule") == "squaredcos_cap_v2"
	return s, p.err
}

// readSolver reads algorithm_type and solver_type, mapping the variants
// diffusers replaces (deis; logrho, bh1, bh2) as it does.
func (s *DPMSolver) readSolver(p *params) error {
	s.algorithm = p.str("algorithm_type")
	if s.algorithm == "deis" {
		s.algorithm = "dpmsolver++"
	}
	s.solverType = p.str("solver_type")
	switch s.solverType {
	case "logrho", "bh1", "bh2":
		s.solverType = "midpoint"
	case "midpoint", "heun":
	default:
		return fmt.Errorf("solver_type %q is not supported", s.solverType)
	}
	switch s.algorithm {
	case "dpmsolver", "dpmsolver++", "sde-dpmsolver", "sde-dpmsolver++":
	default:
		return fmt.Errorf("algorithm_type %q is not supported", s.algorithm)
	}
	return nil
}

// lastTimestep is num_train_timesteps minus the number of training steps
// whose lambda falls below lambda_min_clipped.
func (s *DPMSolver) lastTimestep() int {
	n := s.ts.numTrain
	clipped := 0
	for i := n - 1; i >= 0; i-- { // flipped lambda_t is ascending
		a := float32(s.ts.alphasCumprod[i])
		l := log32(sqrt32(a)) - log32(sqrt32(1-a))
		if float64(l) < s.lambdaMin {
			clipped++
		} else {
			break
		}
	}
	return n - clipped
}

// NewState implements Scheduler.
func (s *DPMSolver) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: DPMSolverMultistepScheduler does not take explicit sigmas")
	}
	var ts []float64
	var err error
	if o.timesteps != nil {
		if s.spacingOpt.active() {
			return nil, fmt.Errorf("schedulers: explicit timesteps cannot be combined with karras or exponential sigmas")
		}
		ts = truncAll(append([]float64(nil), o.timesteps...))
	} else {
		ts, err = multistepTimesteps(s.spacing, s.ts.numTrain, s.lastTimestep(), steps, s.offset)
		if err != nil {
			return nil, err
		}
	}
	train := s.ts.trainSigmas()
	var sigmas []float64
	if s.spacingOpt.active() {
		flip := append([]float64(nil), train...)
		reverse(flip)
		sigmas, ts = s.spacingOpt.apply(flip, steps, LogSigmas(train))
		if s.spacingOpt.karras && !s.cosine {
			roundAll(ts)
		}
		truncAll(ts)
	} else {
		sigmas = InterpSigmas(ts, train)
	}
	sigmas = f32All(append(sigmas, s.ts.finalSigma(s.finalSigMin)))
	b := multistepState{sigmaBase: newSigmaBase(ts, sigmas, len(ts), 1, true)}
	return &dpmState{multistepState: b, s: s, outputs: make([][]float32, s.order)}, nil
}

type dpmState struct {
	multistepState
	s         *DPMSolver
	outputs   [][]float32 // last solver_order converted model outputs, newest last
	lowerNums int
}

func (st *dpmState) convert(m, x []float32) []float32 {
	plus := st.s.algorithm == "dpmsolver++" || st.s.algorithm == "sde-dpmsolver++"
	return convertOutput(plus, st.s.prediction, st.sigmas[st.idx], m, x)
}

func (st *dpmState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	if err := st.beginStep(modelOutput, sample, t); err != nil {
		return nil, err
	}
	s := st.s
	x := data(sample)
	m := st.convert(data(modelOutput), x)
	copy(st.outputs, st.outputs[1:])
	st.outputs[len(st.outputs)-1] = m
	var noise []float32
	if s.algorithm == "sde-dpmsolver" || s.algorithm == "sde-dpmsolver++" {
		if g == nil {
			return nil, fmt.Errorf("schedulers: %s needs a generator", s.algorithm)
		}
		noise = data(g.Randn(tensor.Shape(sample)...))
	}
	var out []float32
	switch st.stepOrder() {
	case 1:
		out = st.firstOrder(m, x, noise)
	case 2:
		out = st.secondOrder(x, noise)
	default:
		out = st.thirdOrder(x, noise)
	}
	if st.lowerNums < s.order {
		st.lowerNums++
	}
	st.idx++
	return tensor.FromSlice(out, tensor.Shape(sample)...), nil
}

// stepOrder is the order of this step: solver_order, lowered during
// warm-up and, with lower_order_final (or at an Euler/zero final step),
// near the end of short schedules.
func (st *dpmState) stepOrder() int {
	s := st.s
	n := len(st.timesteps)
	lowerFinal := st.idx == n-1 && (s.eulerFinal || (s.lowerFinal && n < 15) || !s.finalSigMin)
	lowerSecond := st.idx == n-2 && s.lowerFinal && n < 15
	switch {
	case s.order == 1 || st.lowerNums < 1 || lowerFinal:
		return 1
	case s.order == 2 || st.lowerNums < 2 || lowerSecond:
		return 2
	}
	return 3
}

// term is one coefficient × vector term of a solver update.
type term struct {
	c float32
	v []float32 // nil: the term is left out
}

// combine returns c0·x + Σ c·v elementwise, the terms added left to right.
func combine(c0 float32, x []float32, terms ...term) []float32 {
	out := make([]float32, len(x))
	for i := range out {
		out[i] = c0 * x[i]
	}
	for _, t := range terms {
		if t.v == nil {
			continue
		}
		for i := range out {
			out[i] = out[i] + t.c*t.v[i]
		}
	}
	return out
}

func (st *dpmState) firstOrder(m, x, noise []float32) []float32 {
	at, sgt, lt := lambda32(st.sigmas[st.idx+1])
	as, sgs, ls := lambda32(st.sigmas[st.idx])
	h := lt - ls
	switch st.s.algorithm {
	case "dpmsolver++":
		return combine(sgt/sgs, x, term{-(at * (exp32(-h) - 1)), m})
	case "dpmsolver":
		return combine(at/as, x, term{-(sgt * (exp32(h) - 1)), m})
	case "sde-dpmsolver++":
		e2 := exp32(-2 * h)
		return combine(sgt/sgs*exp32(-h), x, term{at * (1 - e2), m}, term{sgt * sqrt32(1-e2), noise})
	default: // sde-dpmsolver
		return combine(at/as, x, term{-(2 * (sgt * (exp32(h) - 1))), m}, term{sgt * sqrt32(exp32(2*h)-1), noise})
	}
}

func (st *dpmState) secondOrder(x, noise []float32) []float32 {
	at, sgt, lt := lambda32(st.sigmas[st.idx+1])
	as0, sgs0, ls0 := lambda32(st.sigmas[st.idx])
	_, _, ls1 := lambda32(st.sigmas[st.idx-1])
	k := len(st.outputs)
	m0, m1 := st.outputs[k-1], st.outputs[k-2]
	h, h0 := lt-ls0, ls0-ls1
	inv := 1 / (h0 / h)
	d1 := make([]float32, len(x))
	for i := range d1 {
		d1[i] = inv * (m0[i] - m1[i])
	}
	heun := st.s.solverType == "heun"
	switch st.s.algorithm {
	case "dpmsolver++":
		em := exp32(-h) - 1
		c2 := -(float32(0.5) * (at * em))
		if heun {
			c2 = at * (em/h + 1)
		}
		return combine(sgt/sgs0, x, term{-(at * em), m0}, term{c2, d1})
	case "dpmsolver":
		ep := exp32(h) - 1
		c2 := float32(0.5) * (sgt * ep)
		if heun {
			c2 = sgt * (ep/h - 1)
		}
		return combine(at/as0, x, term{-(sgt * ep), m0}, term{-c2, d1})
	case "sde-dpmsolver++":
		e2 := exp32(-2 * h)
		c2 := float32(0.5) * (at * (1 - e2))
		if heun {
			c2 = at * ((1-e2)/(-2*h) + 1)
		}
		return combine(sgt/sgs0*exp32(-h), x, term{at * (1 - e2), m0}, term{c2, d1}, term{sgt * sqrt32(1-e2), noise})
	default: // sde-dpmsolver
		ep := exp32(h) - 1
		c2 := sgt * ep
		if heun {
			c2 = 2 * (sgt * (ep/h - 1))
		}
		return combine(at/as0, x, term{-(2 * (sgt * ep)), m0}, term{-c2, d1}, term{sgt * sqrt32(exp32(2*h)-1), noise})
	}
}

func (st *dpmState) thirdOrder(x, noise []float32) []float32 {
	at, sgt, lt := lambda32(st.sigmas[st.idx+1])
	as0, sgs0, ls0 := lambda32(st.sigmas[st.idx])
	_, _, ls1 := lambda32(st.sigmas[st.idx-1])
	_, _, ls2 := lambda32(st.sigmas[st.idx-2])
	k := len(st.outputs)
	m0, m1, m2 := st.outputs[k-1], st.outputs[k-2], st.outputs[k-3]
	h, h0, h1 := lt-ls0, ls0-ls1, ls1-ls2
	r0, r1 := h0/h, h1/h
	i0, i1 := 1/r0, 1/r1
	w := r0 / (r0 + r1)
	iw := 1 / (r0 + r1)
	d1 := make([]float32, len(x))
	d2 := make([]float32, len(x))
	for i := range d1 {
		a := i0 * (m0[i] - m1[i])
		b := i1 * (m1[i] - m2[i])
		d1[i] = a + w*(a-b)
		d2[i] = iw * (a - b)
	}
	switch st.s.algorithm {
	case "dpmsolver++":
		em := exp32(-h) - 1
		c3 := at * ((exp32(-h)-1+h)/(h*h) - 0.5)
		return combine(sgt/sgs0, x, term{-(at * em), m0}, term{at * (em/h + 1), d1}, term{-c3, d2})
	case "dpmsolver":
		ep := exp32(h) - 1
		c3 := sgt * ((exp32(h)-1-h)/(h*h) - 0.5)
		return combine(at/as0, x, term{-(sgt * ep), m0}, term{-(sgt * (ep/h - 1)), d1}, term{-c3, d2})
	default: // sde-dpmsolver++ (the reference has no third-order SDE-DPMSolver)
		e2 := exp32(-2 * h)
		th := 2 * h
		c3 := at * ((1-e2-2*h)/(th*th) - 0.5)
		return combine(sgt/sgs0*exp32(-h), x, term{at * (1 - e2), m0}, term{at * ((1-e2)/(-2*h) + 1), d1},
			term{c3, d2}, term{sgt * sqrt32(1-e2), noise})
	}
}
