package pipelines

import (
	"context"
	"fmt"
	"math"

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
			pred = guide(uncond, text, float32(l.Guidance))
			if l.Rescale > 0 {
				rescaleNoiseCFG(pred, text, l.Rescale)
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

// guide returns uncond + g*(text-uncond), in float32 as torch computes it.
func guide(uncond, text *tensor.Dense, g float32) *tensor.Dense {
	out := tensor.Clone(uncond)
	o, u, c := tensor.F32(out), tensor.F32(uncond), tensor.F32(text)
	for i := range o {
		o[i] = u[i] + g*(c[i]-u[i])
	}
	return out
}

// rescaleNoiseCFG applies diffusers' rescale_noise_cfg in place: the guided
// prediction is rescaled to the per-sample standard deviation of the text
// prediction and mixed with the unrescaled one by phi.
func rescaleNoiseCFG(cfg, text *tensor.Dense, phi float64) {
	n := cfg.Shape()[0]
	c, tx := tensor.F32(cfg), tensor.F32(text)
	per := len(c) / n
	for b := 0; b < n; b++ {
		cs, ts := c[b*per:(b+1)*per], tx[b*per:(b+1)*per]
		sc, st := std32(cs), std32(ts)
		ratio := st / sc
		for i := range cs {
			rescaled := cs[i] * ratio
			cs[i] = float32(phi)*rescaled + float32(1-phi)*cs[i]
		}
	}
}

// std32 is torch.std (unbiased) over a slice.
func std32(x []float32) float32 {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return float32(math.Sqrt(ss / float64(len(x)-1)))
}
