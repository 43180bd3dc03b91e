package schedulers

import (
	"fmt"
	"math"
	"sort"
)

// This file is the one noise-schedule module every scheduler uses. Values
// live in float64 slices; where the reference computes in float32 tensors the
// result is rounded to float32 at the same points, so the slices hold exactly
// the numbers the reference holds.

// f32 rounds x to float32 precision.
func f32(x float64) float64 { return float64(float32(x)) }

// fma32 returns a*b+c of float32 operands rounded once to float32.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	cc := float64(c)
	s := p + cc
	r := float32(s)
	if float64(r) != s {
		var lo, hi float32
		if float64(r) < s {
			lo, hi = r, math.Nextafter32(r, float32(math.Inf(1)))
		} else {
			lo, hi = math.Nextafter32(r, float32(math.Inf(-1))), r
		}
		if s-float64(lo) == float64(hi)-s { // s is a float32 midpoint: break the tie exactly
			bb := s - p
			err := (p - (s - bb)) + (cc - bb)
			if err > 0 {
				return hi
			} else if err < 0 {
				return lo
			}
		}
	}
	return r
}

// TorchLinspace32 is torch.linspace(start, end, n, dtype=float32) on the CPU:
// the first half counts up from start and the second half down from end,
// each value one fused multiply-add in float32.
func TorchLinspace32(start, end float64, n int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = f32(start)
		return out
	}
	a, b := float32(start), float32(end)
	step := (b - a) / float32(n-1)
	half := n / 2
	for i := range out {
		if i < half {
			out[i] = float64(fma32(step, float32(i), a))
		} else {
			out[i] = float64(fma32(-step, float32(n-1-i), b))
		}
	}
	return out
}

// NumpyLinspace is numpy.linspace(start, stop, n) in float64 (endpoint
// included): i*step + start, with the last value set to stop.
func NumpyLinspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	if n == 1 {
		out[0] = start
		return out
	}
	div := float64(n - 1)
	step := (stop - start) / div
	for i := range out {
		if step == 0 {
			out[i] = float64(i)/div*(stop-start) + start
		} else {
			out[i] = float64(i)*step + start
		}
	}
	out[n-1] = stop
	return out
}

// numpyArange is numpy.arange(start, stop, step) for float64 arguments.
func numpyArange(start, stop, step float64) []float64 {
	n := int(math.Ceil((stop - start) / step))
	if n <= 0 {
		return nil
	}
	out := make([]float64, n)
	out[0] = start
	if n > 1 {
		out[1] = start + step
		delta := out[1] - out[0]
		for i := 2; i < n; i++ {
			out[i] = start + float64(i)*delta
		}
	}
	return out
}

// Betas returns the training beta schedule in float32 precision.
// schedule is "linear", "scaled_linear", "squaredcos_cap_v2" or "exp";
// trained, when non-nil, is used as given.
func Betas(schedule string, start, end float64, n int, trained []float64) ([]float64, error) {
	if trained != nil {
		out := make([]float64, len(trained))
		for i, v := range trained {
			out[i] = f32(v)
		}
		return out, nil
	}
	switch schedule {
	case "linear":
		return TorchLinspace32(start, end, n), nil
	case "scaled_linear":
		b := TorchLinspace32(math.Sqrt(start), math.Sqrt(end), n)
		for i, v := range b {
			x := float32(v)
			b[i] = float64(x * x)
		}
		return b, nil
	case "squaredcos_cap_v2":
		return betasForAlphaBar(n, func(t float64) float64 {
			c := math.Cos((t + 0.008) / 1.008 * math.Pi / 2)
			return c * c
		}), nil
	case "exp":
		return betasForAlphaBar(n, func(t float64) float64 { return math.Exp(t * -12.0) }), nil
	}
	return nil, fmt.Errorf("schedulers: beta_schedule %q is not supported", schedule)
}

func betasForAlphaBar(n int, alphaBar func(float64) float64) []float64 {
	const maxBeta = 0.999
	out := make([]float64, n)
	for i := range out {
		t1 := float64(i) / float64(n)
		t2 := float64(i+1) / float64(n)
		out[i] = f32(math.Min(1-alphaBar(t2)/alphaBar(t1), maxBeta))
	}
	return out
}

// cumprod32 is torch.cumprod on a float32 tensor: a float64 running product
// rounded to float32 at every output.
func cumprod32(x []float64) []float64 {
	out := make([]float64, len(x))
	acc := 1.0
	for i, v := range x {
		acc *= v
		out[i] = f32(acc)
	}
	return out
}

// RescaleZeroTerminalSNR rescales float32 betas to a zero terminal SNR
// (Lin et al. 2023, Algorithm 1) with the reference's float32 arithmetic.
func RescaleZeroTerminalSNR(betas []float64) []float64 {
	n := len(betas)
	alphas := make([]float64, n)
	for i, b := range betas {
		alphas[i] = float64(1 - float32(b))
	}
	ac := cumprod32(alphas)
	s := make([]float32, n)
	for i, v := range ac {
		s[i] = float32(math.Sqrt(v))
	}
	s0, sT := s[0], s[n-1]
	scale := s0 / (s0 - sT)
	for i := range s {
		s[i] = (s[i] - sT) * scale
	}
	bar := make([]float32, n)
	for i := range s {
		bar[i] = s[i] * s[i]
	}
	out := make([]float64, n)
	out[0] = float64(1 - bar[0])
	for i := 1; i < n; i++ {
		out[i] = float64(1 - bar[i]/bar[i-1])
	}
	return out
}

// AlphasCumprod returns cumprod(1 - betas) in float32 precision.
func AlphasCumprod(betas []float64) []float64 {
	alphas := make([]float64, len(betas))
	for i, b := range betas {
		alphas[i] = float64(1 - float32(b))
	}
	return cumprod32(alphas)
}

// SigmasFromAlphasCumprod returns ((1-a)/a)^0.5 per training step in float32
// precision (ascending in t).
func SigmasFromAlphasCumprod(ac []float64) []float64 {
	out := make([]float64, len(ac))
	for i, v := range ac {
		a := float32(v)
		out[i] = math.Sqrt(float64((1 - a) / a))
		out[i] = f32(out[i])
	}
	return out
}

// Interp is numpy.interp(x, xp, fp) for increasing xp.
func Interp(x float64, xp, fp []float64) float64 {
	n := len(xp)
	if x <= xp[0] {
		return fp[0]
	}
	if x >= xp[n-1] {
		return fp[n-1]
	}
	j := sort.Search(n, func(i int) bool { return xp[i] > x }) - 1
	slope := (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])
	r := slope*(x-xp[j]) + fp[j]
	if math.IsNaN(r) {
		r = slope*(x-xp[j+1]) + fp[j+1]
	}
	return r
}

// InterpSigmas evaluates the training sigmas (indexed by integer timestep) at
// each of timesteps, as np.interp(timesteps, arange(len(sigmas)), sigmas).
func InterpSigmas(timesteps, trainSigmas []float64) []float64 {
	xp := make([]float64, len(trainSigmas))
	for i := range xp {
		xp[i] = float64(i)
	}
	out := make([]float64, len(timesteps))
	for i, t := range timesteps {
		out[i] = Interp(t, xp, trainSigmas)
	}
	return out
}

// KarrasSigmas returns n sigmas from sigmaMax down to sigmaMin spaced as in
// Karras et al. 2022 (rho = 7).
func KarrasSigmas(sigmaMin, sigmaMax float64, n int) []float64 {
	const rho = 7.0
	ramp := NumpyLinspace(0, 1, n)
	minInv := math.Pow(sigmaMin, 1/rho)
	maxInv := math.Pow(sigmaMax, 1/rho)
	out := make([]float64, n)
	for i, r := range ramp {
		out[i] = math.Pow(maxInv+r*(minInv-maxInv), rho)
	}
	return out
}

// ExponentialSigmas returns n sigmas evenly spaced in log from sigmaMax to
// sigmaMin.
func ExponentialSigmas(sigmaMin, sigmaMax float64, n int) []float64 {
	l := NumpyLinspace(math.Log(sigmaMax), math.Log(sigmaMin), n)
	for i, v := range l {
		l[i] = math.Exp(v)
	}
	return l
}

// LogSigmas returns the float32 natural log of each (float32) sigma, as
// np.log applied to a float32 array.
func LogSigmas(sigmas []float64) []float64 {
	out := make([]float64, len(sigmas))
	for i, s := range sigmas {
		out[i] = float64(npLog32(float32(s)))
	}
	return out
}

// SigmaToT maps sigma to a fractional training timestep by linear
// interpolation of log sigma between the two neighbouring training sigmas
// (logSigmas ascending in t).
func SigmaToT(sigma float64, logSigmas []float64) float64 {
	logSigma := math.Log(math.Max(sigma, 1e-10))
	n := len(logSigmas)
	// low index: last i with logSigma >= logSigmas[i] (cumsum(...).argmax()),
	// clipped to n-2.
	cnt, low := 0, 0
	best := -1
	for i, ls := range logSigmas {
		if logSigma-ls >= 0 {
			cnt++
		}
		if cnt > best {
			best, low = cnt, i
		}
	}
	if low > n-2 {
		low = n - 2
	}
	lo, hi := logSigmas[low], logSigmas[low+1]
	w := (lo - logSigma) / f32(lo-hi) // float32 table: the difference rounds to float32

	w = math.Max(0, math.Min(1, w))
	return (1-w)*float64(low) + w*float64(low+1)
}

// SigmaToT32 is SigmaToT for a float32 sigma, where the reference's
// arithmetic stays in float32 until the final interpolation.
func SigmaToT32(sigma float32, logSigmas []float64) float64 {
	if sigma < 1e-10 {
		sigma = 1e-10
	}
	logSigma := npLog32(sigma)
	n := len(logSigmas)
	low := 0
	for i, ls := range logSigmas {
		if logSigma-float32(ls) >= 0 {
			low = i
		}
	}
	if low > n-2 {
		low = n - 2
	}
	lo, hi := float32(logSigmas[low]), float32(logSigmas[low+1])
	w := (lo - logSigma) / (lo - hi)
	w = max(0, min(1, w))
	return float64(1-w)*float64(low) + float64(w)*float64(low+1)
}

// TimestepSpacing returns the descending inference timesteps for n steps out
// of numTrain training steps with the given spacing ("linspace", "leading",
// "trailing"), as the DDIM-family schedulers compute them (float values,
// before any integer or float32 conversion the caller applies).
func TimestepSpacing(spacing string, numTrain, n, offset int) ([]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("schedulers: num_inference_steps must be positive, got %d", n)
	}
	var ts []float64
	switch spacing {
	case "linspace":
		ts = NumpyLinspace(0, float64(numTrain-1), n)
		reverse(ts)
	case "leading":
		ratio := numTrain / n
		ts = make([]float64, n)
		for i := range ts {
			ts[n-1-i] = float64(i*ratio + offset)
		}
	case "trailing":
		ts = trailingTimesteps(numTrain, numTrain, n)
	default:
		return nil, fmt.Errorf("schedulers: timestep_spacing %q is not supported", spacing)
	}
	return ts, nil
}

func reverse(x []float64) {
	for i, j := 0, len(x)-1; i < j; i, j = i+1, j-1 {
		x[i], x[j] = x[j], x[i]
	}
}

func roundAll(x []float64) []float64 {
	for i, v := range x {
		x[i] = math.RoundToEven(v)
	}
	return x
}

func f32All(x []float64) []float64 {
	for i, v := range x {
		x[i] = f32(v)
	}
	return x
}

// trailingTimesteps is "trailing" spacing: from the training step count
// down in steps of numTrain/n, rounded, minus one.
func trailingTimesteps(from, numTrain, n int) []float64 {
	ratio := float64(numTrain) / float64(n)
	ts := numpyArange(float64(from), 0, -ratio)
	for i := range ts {
		ts[i] = math.RoundToEven(ts[i]) - 1
	}
	return ts
}
