package schedulers

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// Heun implements HeunDiscreteScheduler (Karras et al. 2022, Algorithm 1):
// every inference step but the last takes two model evaluations, so the
// timesteps after the first are repeated.
type Heun struct {
	kScheduler
	clip clipping
}

func newHeun(cfg map[string]any) (Scheduler, error) {
	p := &params{m: cfg}
	k, err := readK(p, "HeunDiscreteScheduler", 2, "epsilon", "v_prediction", "sample")
	if err != nil {
		return nil, err
	}
	s := &Heun{kScheduler: k, clip: readClipping(p)}
	return s, p.err
}

// NewState implements Scheduler.
func (s *Heun) NewState(steps int, opts ...Option) (State, error) {
	o := collect(opts)
	if o.sigmas != nil {
		return nil, fmt.Errorf("schedulers: HeunDiscreteScheduler does not take explicit sigmas")
	}
	ts, sg, err := s.schedule(steps, o.timesteps)
	if err != nil {
		return nil, err
	}
	if o.timesteps != nil {
		steps = len(o.timesteps)
	}
	sg = f32All(append(sg, 0))
	// sigmas[:1], sigmas[1:-1] twice each, sigmas[-1:]; timesteps[:1],
	// timesteps[1:] twice each.
	sig2 := []float64{sg[0]}
	for _, v := range sg[1 : len(sg)-1] {
		sig2 = append(sig2, v, v)
	}
	sig2 = append(sig2, sg[len(sg)-1])
	ts2 := []float64{ts[0]}
	for _, v := range ts[1:] {
		ts2 = append(ts2, v, v)
	}
	b := kState{sigmaBase: newSigmaBase(ts2, sig2, steps, 2, false), spacing: s.spacing}
	return &heunState{kState: b, s: s}, nil
}

type heunState struct {
	kState
	s *Heun
	// first-order results kept for the correction step; nil when the next
	// step is a first-order one
	prevDerivative []float32
	dt             float32
	prevSample     []float32
}

func (st *heunState) Step(modelOutput *tensor.Dense, t float64, sample *tensor.Dense, _ *rng.Generator) (*tensor.Dense, error) {
	if err := sameShape(modelOutput, sample); err != nil {
		return nil, err
	}
	if err := st.ensure(st.timesteps, t); err != nil {
		return nil, err
	}
	first := st.prevDerivative == nil
	var sigma, next float32
	if first {
		if err := st.checkStep(1); err != nil {
			return nil, err
		}
		sigma, next = float32(st.sigmas[st.idx]), float32(st.sigmas[st.idx+1])
	} else {
		if st.idx < 1 || st.idx >= len(st.sigmas) {
			return nil, fmt.Errorf("schedulers: step %d is past the end of the schedule", st.idx)
		}
		sigma, next = float32(st.sigmas[st.idx-1]), float32(st.sigmas[st.idx])
	}
	sigmaIn := sigma
	if !first {
		sigmaIn = next
	}
	vs, vd := vCoefs(sigmaIn)
	m, x := data(modelOutput), data(sample)
	out, o := like(sample)
	if first {
		d := make([]float32, len(x))
		dt := next - sigma
		for i := range d {
			x0 := predictX0(st.s.prediction, m[i], x[i], sigmaIn, vs, vd)
			x0 = st.s.clip.apply(x0)
			d[i] = (x[i] - x0) / sigma
			o[i] = x[i] + d[i]*dt
		}
		st.prevDerivative, st.dt, st.prevSample = d, dt, append([]float32(nil), x...)
	} else {
		for i := range o {
			x0 := predictX0(st.s.prediction, m[i], x[i], sigmaIn, vs, vd)
			x0 = st.s.clip.apply(x0)
			d := (x[i] - x0) / next
			d = (st.prevDerivative[i] + d) / 2
			o[i] = st.prevSample[i] + d*st.dt
		}
		st.prevDerivative, st.prevSample = nil, nil
	}
	st.idx++
	return out, nil
}
