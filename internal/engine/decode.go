package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// decode turns latents into images (step 6), runs the safety checker and
// postprocesses.
func (c *Core) decode(ctx context.Context, latents *tensor.Dense) (*pipelines.Output, error) {
	img, err := c.VAE.Decode(ctx, c.unscaleLatents(latents))
	if err == nil {
		err = checkFinite("decoded images", img)
	}
	if err != nil {
		return nil, err
	}
	out := &pipelines.Output{}
	denorm := make([]bool, img.Shape()[0])
	for i := range denorm {
		denorm[i] = true
	}
	if c.Safety != nil {
		if out.NSFWContentDetected, err = c.checkSafety(ctx, img, denorm); err != nil {
			return nil, err
		}
	}
	out.Pixels = denormalize(img, denorm)
	out.Images = c.Proc.Postprocess(img, denorm)
	return out, nil
}

// unscaleLatents undoes the VAE's scaling (and latents statistics, for
// families that use them) on a copy of the latents.
func (c *Core) unscaleLatents(latents *tensor.Dense) *tensor.Dense {
	ls := c.VAE.Latents()
	sf := float32(ls.ScalingFactor)
	z := tensor.Clone(latents)
	if c.Traits.LatentsStats && hasLatentsStats(ls.Mean, ls.Std) {
		tensor.DenormalizeLatentsInPlace(z, ls.Mean, ls.Std, sf)
		return z
	}
	d := tensor.F32(z)
	for i := range d {
		d[i] /= sf
	}
	return z
}

// checkSafety runs the safety checker on the decoded images and blacks out
// the flagged ones in img (their denorm flag is cleared: they are taken as
// already in [0, 1]).
func (c *Core) checkSafety(ctx context.Context, img *tensor.Dense, denorm []bool) ([]bool, error) {
	flags, err := c.Safety.Check(ctx, c.Proc.Postprocess(img, nil))
	if err != nil {
		return nil, fmt.Errorf("safety checker: %w", err)
	}
	d := tensor.F32(img)
	per := len(d) / len(flags)
	for i, f := range flags {
		if f {
			clear(d[i*per : (i+1)*per])
			denorm[i] = false
		}
	}
	return flags, nil
}

// denormalize maps [-1,1] pixels to [0,1] (clamped) for the images whose
// flag is set, as diffusers' postprocess with output_type "pt" does.
func denormalize(img *tensor.Dense, denorm []bool) *tensor.Dense {
	out := tensor.Clone(img)
	d := tensor.F32(out)
	per := len(d) / len(denorm)
	for b, on := range denorm {
		if !on {
			continue
		}
		s := d[b*per : (b+1)*per]
		for i, v := range s {
			s[i] = min(max(v*0.5+0.5, 0), 1)
		}
	}
	return out
}
