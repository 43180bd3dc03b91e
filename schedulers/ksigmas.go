package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// This file holds what the sigma-parameterised ("k-diffusion") schedulers
// share: float32 timesteps, sigma tables, input scaling and add_noise.

// kTimesteps are the float32 inference timesteps of Euler, LMS and Heun.
func kTimesteps(spacing string, numTrain, n, offset int) ([]float64, error) {
	ts, err := TimestepSpacing(spacing, numTrain, n, offset)
	if err != nil {
		return nil, err
	}
	return f32All(ts), nil
}

// sigmaSpacing selects the optional sigma re-spacing of a config.
type sigmaSpacing struct {
	karras, exponential bool
	sigmaMin, sigmaMax  *float64 // config overrides (nil: from the schedule)
}

func readSigmaSpacing(p *params, withBounds bool) sigmaSpacing {
	s := sigmaSpacing{karras: p.bool("use_karras_sigmas")}
	if _, ok := p.m["use_exponential_sigmas"]; ok {
		s.exponential = p.bool("use_exponential_sigmas")
	}
	if _, ok := p.m["use_beta_sigmas"]; ok && p.bool("use_beta_sigmas") && p.err == nil {
		p.err = fmt.Errorf("use_beta_sigmas is not supported")
	}
	if s.karras && s.exponential && p.err == nil {
		p.err = fmt.Errorf("only one of use_karras_sigmas and use_exponential_sigmas may be set")
	}
	if withBounds {
		s.sigmaMin = p.optFloat("sigma_min")
		s.sigmaMax = p.optFloat("sigma_max")
	}
	return s
}

func (s sigmaSpacing) active() bool { return s.karras || s.exponential }

// apply re-spaces in (descending sigmas) into n sigmas and returns them with
// their fractional timesteps.
func (s sigmaSpacing) apply(in []float64, n int, logSigmas []float64) (sigmas, timesteps []float64) {
	lo, hi := in[len(in)-1], in[0]
	if s.sigmaMin != nil {
		lo = *s.sigmaMin
	}
	if s.sigmaMax != nil {
		hi = *s.sigmaMax
	}
	if s.karras {
		sigmas = KarrasSigmas(lo, hi, n)
	} else {
		sigmas = ExponentialSigmas(lo, hi, n)
	}
	timesteps = make([]float64, len(sigmas))
	for i, sg := range sigmas {
		timesteps[i] = SigmaToT(sg, logSigmas)
	}
	return sigmas, timesteps
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

// kInitNoiseSigma is max(sigmas), or sqrt(max^2+1) for "leading" spacing.
func kInitNoiseSigma(sigmas []float64, spacing string) float64 {
	m := float32(maxOf(sigmas))
	if spacing == "linspace" || spacing == "trailing" {
		return float64(m)
	}
	return float64(sqrt32(m*m + 1))
}

// scaleBySigma is sample / sqrt(sigma^2+1).
func scaleBySigma(sample *tensor.Dense, sigma float32) *tensor.Dense {
	d := sqrt32(sigma*sigma + 1)
	out, o := like(sample)
	for i, v := range data(sample) {
		o[i] = v / d
	}
	return out
}

// addNoiseSigma is original + noise*sigma.
func addNoiseSigma(original, noise *tensor.Dense, sigma float32) (*tensor.Dense, error) {
	if err := sameShape(original, noise); err != nil {
		return nil, err
	}
	out, o := like(original)
	x, n := data(original), data(noise)
	for i := range o {
		o[i] = x[i] + n[i]*sigma
	}
	return out, nil
}

// predictX0 is the k-diffusion denoised estimate for one element.
func predictX0(prediction string, m, x, sigma float32, vScale, vDiv float32) float32 {
	switch prediction {
	case "epsilon":
		return x - sigma*m
	case "v_prediction":
		return m*vScale + x/vDiv
	}
	return m // sample
}

// vCoefs returns -sigma/sqrt(sigma^2+1) and sigma^2+1 for v-prediction.
func vCoefs(sigma float32) (float32, float32) {
	s2 := sigma*sigma + 1
	return -sigma / sqrt32(s2), s2
}
