package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// Loop is the one denoising loop every pipeline runs: classifier-free
// guidance batched in one UNet call, guidance rescale, the scheduler step,
// and hooks for inpainting.
type Loop struct {
	UNet      *unet.Model
	State     schedulers.State
	Timesteps []float64
	// Embeds are the encoder hidden states, [uncond; cond] when CFG is on.
	Embeds *tensor.Dense
	Added  *unet.AddedCond
	CFG    bool
	// Guidance is the guidance scale; Rescale diffusers' guidance_rescale.
	Guidance, Rescale float64
	Gen               *rng.Generator
	// Extra, when set, extends the scaled model input (9-channel inpainting
	// concatenates the mask and the masked-image latents).
	Extra func(x *tensor.Dense) *tensor.Dense
	// AfterStep, when set, adjusts the latents after step i (4-channel
	// inpainting blends in the re-noised image latents).
	AfterStep func(i int, latents *tensor.Dense) (*tensor.Dense, error)
	Callback  func(step, total int)
}

// Run denoises latents through every timestep.
func (l *Loop) Run(ctx context.Context, latents *tensor.Dense) (*tensor.Dense, error) {
	total := len(l.Timesteps)
	for i, t := range l.Timesteps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in := latents
		if l.CFG {
			in = tensor.Concat(0, latents, latents)
		}
		in, err := l.State.ScaleModelInput(in, t)
		if err != nil {
			return nil, err
		}
		if l.Extra != nil {
			in = l.Extra(in)
		}
		n := in.Shape()[0]
		ts := make([]float32, n)
		for j := range ts {
			ts[j] = float32(t)
		}
		pred, err := l.UNet.Forward(ctx, in, ts, l.Embeds, l.Added)
		if err != nil {
			return nil, fmt.Errorf("denoise step %d: %w", i, err)
		}
		if l.CFG {
			parts := tensor.Chunk(pred, 2, 0)
			uncond, text := parts[0], parts[1]
			pred = tensor.Guidance(uncond, text, float32(l.Guidance))
			if l.Rescale > 0 {
				tensor.RescaleGuidanceInPlace(pred, text, l.Rescale)
			}
		}
		latents, err = l.State.Step(pred, t, latents, l.Gen)
		if err != nil {
			return nil, fmt.Errorf("denoise step %d: %w", i, err)
		}
		if l.AfterStep != nil {
			if latents, err = l.AfterStep(i, latents); err != nil {
				return nil, err
			}
		}
		if l.Callback != nil {
			l.Callback(i+1, total)
		}
	}
	return latents, nil
}
