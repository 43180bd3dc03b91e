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
	ts          trainSchedule
	prediction  string
	order       int
	predictX0   bool
	bh1         bool
	lowerFinal  bool
	disabled    map[int]bool
	spacingOpt  sigmaSpacing
	finalSigMin bool
	spacing     string
	offset      int
}

func newUniPC(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	s := &UniPC{baseScheduler: baseScheduler{class: "UniPCMultistepScheduler", cfg: cfg, order: 1}}
	s.prediction = p.oneOf("prediction_type", "epsilon", "sample", "v_prediction")
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
	s.spacing = p.oneOf("timestep_spacing", "linspace", "leading", "trailing")
	s.offset = p.int("steps_offset")
	if s.order < 1 || s.order > 3 {
		return nil, fmt.Errorf("solver_order %d is not supported", s.order)
	}
	ts, err := readTrainSchedule(p, p.bool("rescale_betas_zero_snr"), true)
	if err != nil {
		return nil, err
	}
	s.ts = ts
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
		if s.finalSigMin {
			a := float32(s.ts.alphasCumprod[0])
			last = float64(sqrt32((1 - a) / a))
		}
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
	a, sg := sigmaToAlphaSigma(float32(st.sigmas[st.idx]))
	out := make([]float32, len(m))
	for i := range out {
		switch {
		case st.s.predictX0 && st.s.prediction == "epsilon":
			out[i] = (x[i] - sg*m[i]) / a
		case st.s.predictX0 && st.s.prediction == "v_prediction":
			out[i] = a*x[i] - sg*m[i]
		case !st.s.predictX0 && st.s.prediction == "sample":
			out[i] = (x[i] - a*m[i]) / sg
		case !st.s.predictX0 && st.s.prediction == "v_prediction":
			out[i] = a*m[i] + sg*x[i]
		default:
			out[i] = m[i]
		}
	}
	return out
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

// coefficients returns h, the R matrix rows, b, h*phi_1 and B(h) for an
// update from sigma index s0 to t with the given earlier indices.
func (st *unipcState) coefficients(tIdx, s0Idx int, earlier []int, order int) (rks []float32, r [][]float64, b []float64, hPhi1, bh float32, at, sgt, as0, sgs0 float32) {
	var lt, ls0 float32
	at, sgt, lt = lambda32(st.sigmas[tIdx])
	as0, sgs0, ls0 = lambda32(st.sigmas[s0Idx])
	h := lt - ls0
	for _, si := range earlier {
		_, _, lsi := lambda32(st.sigmas[si])
		rks = append(rks, (lsi-ls0)/h)
	}
	rks = append(rks, 1)
	hh := h
	if st.s.predictX0 {
		hh = -h
	}
	hPhi1 = expm132(hh)
	hPhiK := hPhi1/hh - 1
	fact := float32(1)
	if st.s.bh1 {
		bh = hh
	} else {
		bh = expm132(hh)
	}
	for i := 1; i <= order; i++ {
		row := make([]float64, len(rks))
		for k, v := range rks {
			row[k] = float64(pow32(v, i-1))
		}
		r = append(r, row)
		b = append(b, float64(hPhiK*fact/bh))
		fact *= float32(i + 1)
		hPhiK = hPhiK/hh - 1/fact
	}
	return
}

func (st *unipcState) predictor(x []float32, order int) ([]float32, error) {
	i := st.idx
	var earlier []int
	for k := 1; k < order; k++ {
		earlier = append(earlier, i-k)
	}
	rks, r, b, hPhi1, bh, at, sgt, as0, sgs0 := st.coefficients(i+1, i, earlier, order)
	n := len(st.outputs)
	m0 := st.outputs[n-1]
	var rhos []float32
	switch {
	case order == 2:
		rhos = []float32{0.5}
	case order > 2:
		sub := make([][]float64, order-1)
		for k := range sub {
			sub[k] = r[k][:order-1]
		}
		var err error
		if rhos, err = solveSmall(sub, b[:order-1]); err != nil {
			return nil, err
		}
	}
	c0, c1, c2 := sgt/sgs0, at*hPhi1, at*bh
	if !st.s.predictX0 {
		c0, c1, c2 = at/as0, sgt*hPhi1, sgt*bh
	}
	out := make([]float32, len(x))
	for k := range out {
		xt := c0*x[k] - c1*m0[k]
		if len(rhos) > 0 {
			var res float32
			for j := range rhos {
				mi := st.outputs[n-2-j]
				d := (mi[k] - m0[k]) / rks[j]
				if j == 0 {
					res = rhos[j] * d
				} else {
					res = res + rhos[j]*d
				}
			}
			xt = xt - c2*res
		} else {
			// the reference subtracts alpha_t*B(h)*0, which is NaN when B(h)
			// is infinite (bh1 or predict_x0=false stepping to sigma 0)
			xt = xt - c2*0
		}
		out[k] = xt
	}
	return out, nil
}

func (st *unipcState) corrector(modelT, last, this []float32, order int) ([]float32, error) {
	i := st.idx
	var earlier []int
	for k := 1; k < order; k++ {
		earlier = append(earlier, i-(k+1))
	}
	rks, r, b, hPhi1, bh, at, sgt, as0, sgs0 := st.coefficients(i, i-1, earlier, order)
	n := len(st.outputs)
	m0 := st.outputs[n-1]
	var rhos []float32
	if order == 1 {
		rhos = []float32{0.5}
	} else {
		var err error
		if rhos, err = solveSmall(r, b); err != nil {
			return nil, err
		}
	}
	c0, c1, c2 := sgt/sgs0, at*hPhi1, at*bh
	if !st.s.predictX0 {
		c0, c1, c2 = at/as0, sgt*hPhi1, sgt*bh
	}
	rl := rhos[len(rhos)-1]
	out := make([]float32, len(this))
	for k := range out {
		xt := c0*last[k] - c1*m0[k]
		var corr float32
		for j := 0; j < len(rhos)-1; j++ {
			mi := st.outputs[n-2-j]
			d := (mi[k] - m0[k]) / rks[j]
			if j == 0 {
				corr = rhos[j] * d
			} else {
				corr = corr + rhos[j]*d
			}
		}
		d1t := modelT[k] - m0[k]
		out[k] = xt - c2*(corr+rl*d1t)
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
