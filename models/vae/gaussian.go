package vae

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// DiagonalGaussian is the latent distribution returned by Encode: per element
// mean and log-variance (clamped to [-30, 20]), as diffusers'
// DiagonalGaussianDistribution.
type DiagonalGaussian struct {
	Mean   *tensor.Dense // [N, latent_channels, h, w]
	LogVar *tensor.Dense // same shape, clamped
	Std    *tensor.Dense // exp(0.5*LogVar)
}

// newDiagonalGaussian splits moments [N, 2C, h, w] into mean and log-variance.
func newDiagonalGaussian(moments *tensor.Dense) (*DiagonalGaussian, error) {
	sh := tensor.Shape(moments)
	if len(sh) != 4 || sh[1]%2 != 0 {
		return nil, fmt.Errorf("vae: moments shape %v, want [N, 2C, H, W]", sh)
	}
	n, c2, h, w := sh[0], sh[1], sh[2], sh[3]
	c := c2 / 2
	plane := c * h * w
	mean := tensor.New(n, c, h, w)
	logvar := tensor.New(n, c, h, w)
	std := tensor.New(n, c, h, w)
	md, ld, sd, src := tensor.F32(mean), tensor.F32(logvar), tensor.F32(std), tensor.F32(moments)
	for b := 0; b < n; b++ {
		copy(md[b*plane:][:plane], src[b*2*plane:][:plane])
		lv := src[b*2*plane+plane:][:plane]
		for i, v := range lv {
			if v < -30 {
				v = -30
			} else if v > 20 {
				v = 20
			}
			ld[b*plane+i] = v
			sd[b*plane+i] = float32(math.Exp(float64(float32(0.5) * v)))
		}
	}
	return &DiagonalGaussian{Mean: mean, LogVar: logvar, Std: std}, nil
}

// Mode returns the distribution's mode (its mean), as a copy.
func (d *DiagonalGaussian) Mode() *tensor.Dense {
	src := tensor.F32(d.Mean)
	return tensor.FromSlice(append([]float32(nil), src...), tensor.Shape(d.Mean)...)
}

// Sample returns mean + std * eps with eps drawn from g exactly as
// torch.randn(mean.shape, generator=g) would draw it.
func (d *DiagonalGaussian) Sample(g *rng.Generator) *tensor.Dense {
	eps := g.Randn(tensor.Shape(d.Mean)...)
	out := tensor.F32(eps)
	md, sd := tensor.F32(d.Mean), tensor.F32(d.Std)
	for i := range out {
		out[i] = md[i] + float32(sd[i]*out[i])
	}
	return eps
}
