package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "UniPCMultistepScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"solver_order":               2.0,
			"thresholding":               false,
			"dynamic_thresholding_ratio": 0.995,
			"sample_max_value":           1.0,
			"predict_x0":                 true,
			"solver_type":                "bh2",
			"lower_order_final":          true,
			"disable_corrector":          []any{},
			"solver_p":                   nil,
			"use_karras_sigmas":          false,
			"use_exponential_sigmas":     false,
			"use_beta_sigmas":            false,
			"use_flow_sigmas":            false,
			"flow_shift":                 1.0,
			"final_sigmas_type":          "zero",
			"rescale_betas_zero_snr":     false,
			"use_dynamic_shifting":       false,
			"time_shift_type":            "exponential",
			"sigma_min":                  nil,
			"sigma_max":                  nil,
			"shift_terminal":             nil,
		}),
		New: newUniPC,
	})
}

// UniPC implements UniPCMultistepScheduler (Zhao et al. 2023): a
// multistep predictor (UniP) with a corrector (UniC) applied to each new
// sample, B(h) variants bh1 and bh2.
type UniPC struct {
	baseScheduler
	settings
	order       int
	predictX0   bool
	bh1         bool
	lowerFinal  bool
	disabled    map[int]bool
	spacingOpt  sigmaSpacing
	finalSigMin bool
}

func newUniPC(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	set, err := readSettings(p, rescaleSigmas, "epsilon", "sample", "v_prediction")
	if err != nil {
		return nil, err
	}
	s := &UniPC{baseScheduler: baseScheduler{class: "UniPCMultistepScheduler", cfg: cfg, order: 1}, settings: set}
	s.order = p.int("solver_order")
	s.predictX0 = p.bool("predict_x0")
	switch st := p.str("solver_type"); st {
	case "bh1":
		s.bh1 = true
	case "bh2", "midpoint", "heun", "logrho":
	default:
		return nil, fmt.Errorf("solver_type %q is not supported", st)
	}
	s.lowerFinal = p.bool("lower_order_final")
	s.disabled = map[int]bool{}
	for _, i := range p.ints("disable_corrector") {
		s.disabled[i] = true
	}
	s.spacingOpt = readSigmaSpacing(p, true)
	if p.bool("use_flow_sigmas") || p.bool("use_dynamic_shifting") || p.m["solver_p"] != nil || p.bool("thresholding") {
		return nil, fmt.Errorf("use_flow_sigmas, use_dynamic_shifting, solver_p and thresholding are not supported")
	}
	s.finalSigMin = p.oneOf("final_sigmas_type", "zero", "sigma_min") == "sigma_min"
	if s.order < 1 || s.order > 3 {
		return nil, fmt.Errorf("solver_order %d is not supported", s.order)
	}
	return s, p.err
}

// NewState implements Scheduler.
func (s *UniPC) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.timesteps != nil || o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: UniPCMultistepScheduler does not take explicit timesteps or sigmas here")
	}
	ts, err := multistepTimesteps(s.spacing, s.ts.numTrain, s.ts.numTrain, steps, s.offset)
	if err != nil {
		return nil, err
	}
	train := s.ts.trainSigmas()
	var sigmas []float64
	last := 0.0
	if s.spacingOpt.active() {
		flip := append([]float64(nil), train...)
		reverse(flip)
		sigmas, ts = s.spacingOpt.apply(flip, steps, LogSigmas(train))
		if s.spacingOpt.karras {
			roundAll(ts)
		}
		truncAll(ts)
		if s.finalSigMin {
			last = sigmas[len(sigmas)-1]
		}
	} else {
		sigmas = InterpSigmas(ts, train)
		last = s.ts.finalSigma(s.finalSigMin)
	}
	sigmas = f32All(append(sigmas, last))
	b := multistepState{sigmaBase: newSigmaBase(ts, sigmas, len(ts), 1, true)}
	return &unipcState{multistepState: b, s: s, outputs: make([][]float32, s.order)}, nil
}

type unipcState struct {
	multistepState
	s          *UniPC
	outputs    [][]float32 // converted model outputs, newest last
	lowerNums  int
	lastSample []float32
	thisOrder  int
}

func (st *unipcState) convert(m, x []float32) []float32 {
	return convertOutput(st.s.predictX0, st.s.prediction, st.sigmas[st.idx], m, x)
}

func (st *unipcState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, _ *rng.Generator) (*tensor.Dense, error) {
	if err := st.beginStep(modelOutput, sample, t); err != nil {
		return nil, err
	}
	s := st.s
	x := data(sample)
	useCorrector := st.idx > 0 && !s.disabled[st.idx-1] && st.lastSample != nil
	conv := st.convert(data(modelOutput), x)
	if useCorrector {
		var err error
		x, err = st.corrector(conv, st.lastSample, x, st.thisOrder)
		if err != nil {
			return nil, err
		}
	}
	copy(st.outputs, st.outputs[1:])
	st.outputs[len(st.outputs)-1] = conv
	order := s.order
	if s.lowerFinal {
		order = min(s.order, len(st.timesteps)-st.idx)
	}
	st.thisOrder = min(order, st.lowerNums+1)
	st.lastSample = x
	out, err := st.predictor(x, st.thisOrder)
	if err != nil {
		return nil, err
	}
	if st.lowerNums < s.order {
		st.lowerNums++
	}
	st.idx++
	return tensor.FromSlice(out, tensor.Shape(sample)...), nil
}

// unipcCoefs are the coefficients of one predictor or corrector update.
type unipcCoefs struct {
	rks        []float32   // lambda ratios of the earlier outputs, then 1
	r          [][]float64 // the R matrix rows
	b          []float64
	c0, c1, c2 float32 // x_t = c0·x - c1·m0 - c2·(Σ rho·D)
}

// coefficients returns the update coefficients from sigma index s0 to t
// with the given earlier indices (h, h·phi_1 and B(h) as UniPC defines them).
func (st *unipcState) coefficients(tIdx, s0Idx int, earlier []int, order int) unipcCoefs {
	var c unipcCoefs
	at, sgt, lt := lambda32(st.sigmas[tIdx])
	as0, sgs0, ls0 := lambda32(st.sigmas[s0Idx])
	h := lt - ls0
	for _, si := range earlier {
		_, _, lsi := lambda32(st.sigmas[si])
		c.rks = append(c.rks, (lsi-ls0)/h)
	}
	c.rks = append(c.rks, 1)
	hh := h
	if st.s.predictX0 {
		hh = -h
	}
	hPhi1 := expm132(hh)
	hPhiK := hPhi1/hh - 1
	fact := float32(1)
	bh := expm132(hh)
	if st.s.bh1 {
		bh = hh
	}
	for i := 1; i <= order; i++ {
		row := make([]float64, len(c.rks))
		for k, v := range c.rks {
			row[k] = float64(pow32(v, i-1))
		}
		c.r = append(c.r, row)
		c.b = append(c.b, float64(hPhiK*fact/bh))
		fact *= float32(i + 1)
		hPhiK = hPhiK/hh - 1/fact
	}
	c.c0, c.c1, c.c2 = sgt/sgs0, at*hPhi1, at*bh
	if !st.s.predictX0 {
		c.c0, c.c1, c.c2 = at/as0, sgt*hPhi1, sgt*bh
	}
	return c
}

// earlierIndices are the sigma indices of the order-1 earlier outputs, the
// first skip back from from.
func earlierIndices(from, skip, order int) []int {
	var earlier []int
	for k := 1; k < order; k++ {
		earlier = append(earlier, from-(k+skip))
	}
	return earlier
}

// weightedDiffs is Σ_{j<count} rhos[j]·(m_j[k] - m0[k]) / rks[j] over the
// earlier converted outputs m_j (newest first), for element k.
func (st *unipcState) weightedDiffs(k, count int, rhos, rks, m0 []float32) float32 {
	n := len(st.outputs)
	var res float32
	for j := 0; j < count; j++ {
		d := (st.outputs[n-2-j][k] - m0[k]) / rks[j]
		if j == 0 {
			res = rhos[j] * d
		} else {
			res = res + rhos[j]*d
		}
	}
	return res
}

func (st *unipcState) predictor(x []float32, order int) ([]float32, error) {
	c := st.coefficients(st.idx+1, st.idx, earlierIndices(st.idx, 0, order), order)
	m0 := st.outputs[len(st.outputs)-1]
	var rhos []float32
	switch {
	case order == 2:
		rhos = []float32{0.5}
	case order > 2:
		sub := make([][]float64, order-1)
		for k := range sub {
			sub[k] = c.r[k][:order-1]
		}
		var err error
		if rhos, err = solveSmall(sub, c.b[:order-1]); err != nil {
			return nil, err
		}
	}
	out := make([]float32, len(x))
	for k := range out {
		// Without earlier outputs the reference subtracts alpha_t*B(h)*0,
		// which is NaN when B(h) is infinite (bh1 or predict_x0=false
		// stepping to sigma 0).
		out[k] = c.c0*x[k] - c.c1*m0[k] - c.c2*st.weightedDiffs(k, len(rhos), rhos, c.rks, m0)
	}
	return out, nil
}

func (st *unipcState) corrector(modelT, last, this []float32, order int) ([]float32, error) {
	c := st.coefficients(st.idx, st.idx-1, earlierIndices(st.idx, 1, order), order)
	m0 := st.outputs[len(st.outputs)-1]
	rhos := []float32{0.5}
	if order != 1 {
		var err error
		if rhos, err = solveSmall(c.r, c.b); err != nil {
			return nil, err
		}
	}
	rl := rhos[len(rhos)-1]
	out := make([]float32, len(this))
	for k := range out {
		corr := st.weightedDiffs(k, len(rhos)-1, rhos, c.rks, m0)
		out[k] = c.c0*last[k] - c.c1*m0[k] - c.c2*(corr+rl*(modelT[k]-m0[k]))
	}
	return out, nil
}

func expm132(x float32) float32 { return float32(expm1(float64(x))) }

func pow32(x float32, n int) float32 {
	r := float32(1)
	for i := 0; i < n; i++ {
		r *= x
	}
	return r
}
