package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

func init() {
	Register(Class{
		Name: "PNDMScheduler",
		Defaults: merge(commonDefaults(), map[string]any{
			"skip_prk_steps":   false,
			"set_alpha_to_one": false,
			"timestep_spacing": "leading",
		}),
		New: newPNDM,
	})
}

// PNDM implements PNDMScheduler (Liu et al. 2022): Runge-Kutta warm-up
// steps (unless skip_prk_steps) followed by linear multistep (PLMS) steps.
type PNDM struct {
	baseScheduler
	settings
	skipPRK    bool
	finalAlpha float64
}

func newPNDM(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	set, err := readSettings(p, noRescale, "epsilon", "v_prediction")
	if err != nil {
		return nil, err
	}
	s := &PNDM{baseScheduler: baseScheduler{class: "PNDMScheduler", cfg: cfg, order: 1}, settings: set}
	s.skipPRK = p.bool("skip_prk_steps")
	s.finalAlpha = set.ts.finalAlpha(p.bool("set_alpha_to_one"))
	return s, p.err
}

// NewState implements Scheduler.
func (s *PNDM) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.timesteps != nil || o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: PNDMScheduler does not take explicit timesteps or sigmas")
	}
	desc, err := integerTimesteps(s.spacing, s.ts.numTrain, steps, s.offset)
	if err != nil {
		return nil, err
	}
	n := len(desc)
	asc := make([]float64, n)
	for i := range desc {
		asc[i] = desc[n-1-i]
	}
	st := &pndmState{alphaState: s.ts.state(nil, steps), s: s}
	if s.skipPRK {
		// _timesteps[:-1], _timesteps[-2:-1], _timesteps[-1:], reversed:
		// the second-to-last training-order timestep appears twice.
		plms := append([]float64(nil), asc[:n-1]...)
		if n >= 2 {
			plms = append(plms, asc[n-2])
		}
		plms = append(plms, asc[n-1])
		reverse(plms)
		st.timesteps = plms
		return st, nil
	}
	const order = 4
	if n < order {
		return nil, fmt.Errorf("schedulers: PNDMScheduler with PRK steps needs at least %d steps", order)
	}
	half := float64(s.ts.numTrain / steps / 2)
	var prk []float64
	for _, t := range asc[n-order:] {
		prk = append(prk, t, t+half)
	}
	// prk[:-1].repeat(2)[1:-1], reversed
	var rep []float64
	for _, t := range prk[:len(prk)-1] {
		rep = append(rep, t, t)
	}
	rep = rep[1 : len(rep)-1]
	reverse(rep)
	st.prk = len(rep)
	plms := append([]float64(nil), asc[:n-3]...)
	reverse(plms)
	st.timesteps = append(rep, plms...)
	return st, nil
}

type pndmState struct {
	alphaState
	s   *PNDM
	prk int // number of leading PRK timesteps

	counter  int
	ets      [][]float32
	curModel []float32 // running PRK combination, nil when zero
	curSamp  []float32
}

func (st *pndmState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, _ *rng.Generator) (*tensor.Dense, error) {
	if err := sameShape(modelOutput, sample); err != nil {
		return nil, err
	}
	m := append([]float32(nil), data(modelOutput)...)
	x := data(sample)
	var res []float32
	var err error
	if st.counter < st.prk && !st.s.skipPRK {
		res, err = st.stepPRK(m, int(t), x)
	} else {
		res, err = st.stepPLMS(m, int(t), x)
	}
	if err != nil {
		return nil, err
	}
	return tensor.FromSlice(res, tensor.Shape(sample)...), nil
}

func axpy(dst []float32, a float32, x []float32) {
	for i := range dst {
		dst[i] += a * x[i]
	}
}

func (st *pndmState) stepPRK(m []float32, t int, x []float32) ([]float32, error) {
	ratio := st.s.ts.numTrain / st.steps
	diff := ratio / 2
	if st.counter%2 != 0 {
		diff = 0
	}
	prev := t - diff
	t = int(st.timesteps[st.counter/4*4])
	switch st.counter % 4 {
	case 0:
		st.curModel = scaledCopy(1.0/6, m, st.curModel)
		st.ets = append(st.ets, m)
		st.curSamp = x
	case 1, 2:
		st.curModel = scaledCopy(1.0/3, m, st.curModel)
	case 3:
		c := float32(1.0 / 6)
		out := make([]float32, len(m))
		for i := range out {
			out[i] = c * m[i]
			if st.curModel != nil {
				out[i] = st.curModel[i] + out[i]
			}
		}
		m = out
		st.curModel = nil
	}
	cur := x
	if st.curSamp != nil {
		cur = st.curSamp
	}
	res, err := st.prevSample(cur, t, prev, m)
	st.counter++
	return res, err
}

// scaledCopy returns acc + c*m (acc nil meaning zero), as the reference's
// running sum starting from the integer 0.
func scaledCopy(c float64, m, acc []float32) []float32 {
	cc := float32(c)
	out := make([]float32, len(m))
	for i := range out {
		out[i] = cc * m[i]
		if acc != nil {
			out[i] = acc[i] + out[i]
		}
	}
	return out
}

func (st *pndmState) stepPLMS(m []float32, t int, x []float32) ([]float32, error) {
	if !st.s.skipPRK && len(st.ets) < 3 {
		return nil, fmt.Errorf("schedulers: PLMS steps need the PRK warm-up first")
	}
	ratio := st.s.ts.numTrain / st.steps
	prev := t - ratio
	if st.counter != 1 {
		if len(st.ets) > 3 {
			st.ets = st.ets[len(st.ets)-3:]
		}
		st.ets = append(st.ets, m)
	} else {
		prev = t
		t = t + ratio
	}
	e := st.ets
	n := len(e)
	out := make([]float32, len(m))
	switch {
	case n == 1 && st.counter == 0:
		copy(out, m)
		st.curSamp = x
	case n == 1 && st.counter == 1:
		for i := range out {
			out[i] = (m[i] + e[0][i]) / 2
		}
		x = st.curSamp
		st.curSamp = nil
	case n == 2:
		for i := range out {
			out[i] = (3*e[1][i] - e[0][i]) / 2
		}
	case n == 3:
		for i := range out {
			out[i] = (23*e[2][i] - 16*e[1][i] + 5*e[0][i]) / 12
		}
	default:
		c := float32(1.0 / 24)
		for i := range out {
			out[i] = c * (55*e[n-1][i] - 59*e[n-2][i] + 37*e[n-3][i] - 9*e[n-4][i])
		}
	}
	res, err := st.prevSample(x, t, prev, out)
	st.counter++
	return res, err
}

func (st *pndmState) prevSample(x []float32, t, prev int, m []float32) ([]float32, error) {
	ac := st.s.ts.alphasCumprod
	if t < 0 || t >= len(ac) || prev >= len(ac) {
		return nil, fmt.Errorf("schedulers: timestep %d out of range", t)
	}
	at := float32(ac[t])
	ap := float32(st.s.finalAlpha)
	if prev >= 0 {
		ap = float32(ac[prev])
	}
	bt := 1 - at
	bp := 1 - ap
	sat, sbt := sqrt32(at), sqrt32(bt)
	sampleCoef := sqrt32(ap / at)
	denom := at*sqrt32(bp) + sqrt32(at*bt*ap)
	diff := ap - at
	out := make([]float32, len(x))
	for i := range out {
		mo := m[i]
		if st.s.prediction == "v_prediction" {
			mo = sat*mo + sbt*x[i]
		}
		out[i] = sampleCoef*x[i] - diff*mo/denom
	}
	return out, nil
}
