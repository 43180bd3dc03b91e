package tensor

import "math"

// TimestepEmbedding returns sinusoidal embeddings [len(timesteps), dim] as
// diffusers' get_timestep_embedding computes them in float32: frequencies
// exp(-ln(maxPeriod)·i/(dim/2 - downscaleFreqShift)), arguments
// scale·t·freq, then [sin, cos] (or [cos, sin] with flipSinToCos), and a
// zero column when dim is odd.
func TimestepEmbedding(timesteps []float32, dim int, flipSinToCos bool, downscaleFreqShift, scale, maxPeriod float64) *Dense {
	half := dim / 2
	res := New(len(timesteps), dim)
	out := F32(res)
	freqs := make([]float32, half)
	negLog := float32(-math.Log(maxPeriod))
	div := float32(float64(half) - downscaleFreqShift)
	for i := range freqs {
		e := negLog * float32(i)
		e /= div
		freqs[i] = float32(math.Exp(float64(e)))
	}
	sc := float32(scale)
	for r, t := range timesteps {
		row := out[r*dim : (r+1)*dim]
		sinPart, cosPart := row[:half], row[half:2*half]
		if flipSinToCos {
			sinPart, cosPart = row[half:2*half], row[:half]
		}
		for i, f := range freqs {
			arg := t * f
			arg = sc * arg
			sinPart[i] = float32(math.Sin(float64(arg)))
			cosPart[i] = float32(math.Cos(float64(arg)))
		}
	}
	return res
}
