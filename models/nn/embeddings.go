package nn

import "github.com/goautopipe/diffusers/tensor"

// TimestepEmbedding is diffusers' TimestepEmbedding with the SiLU
// activation and no condition projection: linear_2(silu(linear_1(x))).
type TimestepEmbedding struct {
	Linear1 *Linear `st:"linear_1"`
	Linear2 *Linear `st:"linear_2"`
}

// NewTimestepEmbedding returns an unloaded embedding mapping in -> out.
func NewTimestepEmbedding(in, out int) *TimestepEmbedding {
	return &TimestepEmbedding{Linear1: NewLinear(in, out, true), Linear2: NewLinear(out, out, true)}
}

// Forward maps x [N, in] to [N, out].
func (e *TimestepEmbedding) Forward(x *tensor.Dense) *tensor.Dense {
	return e.Linear2.Forward(tensor.SiLUInPlace(e.Linear1.Forward(x)))
}

// Timesteps is diffusers' Timesteps projection (sinusoidal embedding,
// scale 1, max period 10000); it has no weights.
type Timesteps struct {
	Dim          int
	FlipSinToCos bool
	FreqShift    float64
}

// Forward embeds t (one value per row) into [len(t), Dim].
func (p Timesteps) Forward(t []float32) *tensor.Dense {
	return tensor.TimestepEmbedding(t, p.Dim, p.FlipSinToCos, p.FreqShift, 1, 10000)
}
