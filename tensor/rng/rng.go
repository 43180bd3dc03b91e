package rng

import (
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// Generator is a seeded random stream equal to torch.Generator("cpu").
type Generator struct {
	seed       uint64
	mt         mt19937
	nextNormal float64
	hasNormal  bool
}

// New returns a generator in the state of
// torch.Generator("cpu").manual_seed(seed). PyTorch keeps only the low 32
// bits of the seed for the engine, so seeds equal modulo 2^32 draw the same
// numbers.
func New(seed uint64) *Generator {
	g := &Generator{}
	g.ManualSeed(seed)
	return g
}

// SeedFromInt64 converts a signed seed (as Python passes negative seeds to
// manual_seed) into the unsigned value torch stores.
func SeedFromInt64(seed int64) uint64 { return uint64(seed) }

// NewInt64 is New(SeedFromInt64(seed)).
func NewInt64(seed int64) *Generator { return New(SeedFromInt64(seed)) }

// ManualSeed resets g to the state of manual_seed(seed), dropping any cached
// normal sample.
func (g *Generator) ManualSeed(seed uint64) {
	g.seed = seed
	g.mt.seed(uint32(seed))
	g.hasNormal = false
	g.nextNormal = 0
}

// Seed returns the seed g was last seeded with (torch's initial_seed()).
func (g *Generator) Seed() uint64 { return g.seed }

// Clone returns an independent copy of g in its current state.
func (g *Generator) Clone() *Generator {
	c := *g
	return &c
}

// Uint32 returns the next raw 32-bit draw of the engine.
func (g *Generator) Uint32() uint32 { return g.mt.next() }

// uint64 combines two draws, the first as the high half.
func (g *Generator) uint64() uint64 {
	hi := uint64(g.mt.next())
	lo := uint64(g.mt.next())
	return hi<<32 | lo
}

// float32Uniform is torch's uniform_real_distribution<float>(0, 1).
func (g *Generator) float32Uniform() float32 {
	return float32(g.mt.next()&(1<<24-1)) * (1.0 / (1 << 24))
}

// float64Uniform is torch's uniform_real_distribution<double>(0, 1).
func (g *Generator) float64Uniform() float64 {
	return float64(g.uint64()&(1<<53-1)) * (1.0 / (1 << 53))
}

// normal64 is torch's scalar normal_distribution<double>(0, 1): Box-Muller
// producing two samples, the second cached in the generator.
func (g *Generator) normal64() float64 {
	if g.hasNormal {
		g.hasNormal = false
		return g.nextNormal
	}
	u1 := g.float64Uniform()
	u2 := g.float64Uniform()
	r := math.Sqrt(-2 * math.Log1p(-u2))
	theta := 2 * math.Pi * u1
	g.nextNormal = r * math.Sin(theta)
	g.hasNormal = true
	return r * math.Cos(theta)
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Randn returns a float32 tensor of standard normal samples equal to
// torch.randn(shape, generator=g).
func (g *Generator) Randn(shape ...int) *tensor.Dense {
	data := make([]float32, numel(shape))
	g.FillNormal(data)
	return tensor.FromSlice(data, shape...)
}

// FillNormal fills data as torch.randn would fill a contiguous float32
// tensor with len(data) elements.
func (g *Generator) FillNormal(data []float32) {
	n := len(data)
	if n < 16 {
		for i := range data {
			data[i] = float32(g.normal64())
		}
		return
	}
	for i := range data {
		data[i] = g.float32Uniform()
	}
	for i := 0; i+16 <= n; i += 16 {
		boxMuller16(data[i : i+16])
	}
	if n%16 != 0 {
		tail := data[n-16:]
		for i := range tail {
			tail[i] = g.float32Uniform()
		}
		boxMuller16(tail)
	}
}

const twoPi32 = float32(2 * math.Pi)

// boxMuller16 turns 16 uniforms in [0, 1) into 16 normal samples: element j
// and j+8 come from the pair (1-u[j], u[j+8]).
func boxMuller16(d []float32) {
	for j := 0; j < 8; j++ {
		u1 := 1 - d[j]
		u2 := d[j+8]
		radius := float32(math.Sqrt(float64(-2 * logf(u1))))
		theta := twoPi32 * u2
		s, c := sincosf(theta)
		d[j] = radius * c
		d[j+8] = radius * s
	}
}

// Rand returns a float32 tensor of uniform samples in [0, 1) equal to
// torch.rand(shape, generator=g).
func (g *Generator) Rand(shape ...int) *tensor.Dense {
	data := make([]float32, numel(shape))
	for i := range data {
		data[i] = g.float32Uniform()
	}
	return tensor.FromSlice(data, shape...)
}
