package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// This file holds what DPMSolverMultistepScheduler and
// UniPCMultistepScheduler share: integer timesteps with their own spacing
// rules, sigmas with a configurable final value, and the sigma ->
// (alpha_t, sigma_t, lambda) conversion.

// multistepTimesteps computes the integer timesteps of the multistep
// solvers: n+1 points with the last dropped for linspace/leading, and the
// training range limited to last.
func multistepTimesteps(spacing string, numTrain, last, n, offset int) ([]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("schedulers: num_inference_steps must be positive, got %d", n)
	}
	var ts []float64
	switch spacing {
	case "linspace":
		l := NumpyLinspace(0, float64(last-1), n+1)
		roundAll(l)
		reverse(l)
		ts = l[:n]
	case "leading":
		ratio := last / (n + 1)
		ts = make([]float64, n)
		for i := 0; i < n; i++ {
			ts[i] = float64((n-i)*ratio + offset)
		}
	case "trailing":
		ts = trailingTimesteps(last, numTrain, n)
	default:
		return nil, fmt.Errorf("schedulers: timestep_spacing %q is not supported", spacing)
	}
	return ts, nil
}

// truncAll converts to int64 as numpy/torch do (toward zero).
func truncAll(x []float64) []float64 {
	for i, v := range x {
		x[i] = math.Trunc(v)
	}
	return x
}

// lambda32 returns alpha_t, sigma_t and lambda = log(alpha_t) - log(sigma_t)
// for a sigma, in float32.
func lambda32(sigma float64) (alpha, sig, lambda float32) {
	alpha, sig = sigmaToAlphaSigma(float32(sigma))
	return alpha, sig, log32(alpha) - log32(sig)
}

// addNoiseAlphaSigma is alpha_t*x + sigma_t*noise for the sigma at index i.
func addNoiseAlphaSigma(sigmas []float64, i int, original, noise *tensor.Dense) (*tensor.Dense, error) {
	if err := sameShape(original, noise); err != nil {
		return nil, err
	}
	if i < 0 || i >= len(sigmas) {
		return nil, fmt.Errorf("schedulers: add_noise index %d out of range", i)
	}
	a, s := sigmaToAlphaSigma(float32(sigmas[i]))
	out, o := like(original)
	x, n := data(original), data(noise)
	for k := range o {
		o[k] = a*x[k] + s*n[k]
	}
	return out, nil
}

// convertOutput turns the model output m for sample x at sigma into what
// the multistep solvers step with: the predicted x0 when x0Form is set
// (DPM-Solver++, UniPC's predict_x0), else the predicted noise
// (convert_model_output).
func convertOutput(x0Form bool, prediction string, sigma float64, m, x []float32) []float32 {
	a, sg := sigmaToAlphaSigma(float32(sigma))
	out := make([]float32, len(m))
	for i := range out {
		switch {
		case x0Form && prediction == "epsilon":
			out[i] = (x[i] - sg*m[i]) / a
		case x0Form && prediction == "v_prediction":
			out[i] = a*x[i] - sg*m[i]
		case !x0Form && prediction == "sample":
			out[i] = (x[i] - a*m[i]) / sg
		case !x0Form && prediction == "v_prediction":
			out[i] = a*m[i] + sg*x[i]
		default: // already in the solver's form
			out[i] = m[i]
		}
	}
	return out
}

// solveSmall solves A x = b (n <= 4) by Gaussian elimination with partial
// pivoting, rounding the result to float32.
func solveSmall(a [][]float64, b []float64) ([]float32, error) {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if m[p][c] == 0 {
			return nil, fmt.Errorf("schedulers: singular solver matrix")
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	out := make([]float32, n)
	for i, v := range x {
		out[i] = float32(v)
	}
	return out, nil
}

func expm1(x float64) float64 { return math.Expm1(x) }
