package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// prepareLatents is step 4: the task's initial latents and loop hooks.
func (c *Core) prepareLatents(ctx context.Context, r pipelines.Request, size Size, s schedule, g *rng.Generator, cfg bool) (prepared, error) {
	switch c.Task {
	case Text2Image:
		return c.prepareText2Image(r, size, s, g)
	case Image2Image:
		return c.prepareImage2Image(ctx, r, s, g)
	case Inpainting:
		return c.prepareInpaint(ctx, r, size, s, g, cfg)
	}
	return prepared{}, fmt.Errorf("unknown task %v", c.Task)
}

// prepareText2Image draws the initial noise (or takes the given latents)
// scaled by the scheduler's initial sigma.
func (c *Core) prepareText2Image(r pipelines.Request, size Size, s schedule, g *rng.Generator) (prepared, error) {
	var latents *tensor.Dense
	if r.Latents != nil {
		latents = tensor.Clone(r.Latents)
	} else {
		f := c.Proc.VAEScaleFactor
		latents = g.Randn(r.NumImagesPerPrompt, c.UNet.Config().InChannels, size.Height/f, size.Width/f)
	}
	return prepared{latents: tensor.Scale(latents, float32(s.state.InitNoiseSigma()))}, nil
}

// prepareImage2Image encodes the input image (or takes handed-over
// latents, e.g. from an SDXL base run) and noises it to the first
// timestep, unless denoising_start says the latents are already noisy.
func (c *Core) prepareImage2Image(ctx context.Context, r pipelines.Request, s schedule, g *rng.Generator) (prepared, error) {
	var init *tensor.Dense
	if r.Image == nil {
		init = tensor.Clone(r.Latents)
	} else {
		img, err := c.Proc.Preprocess(r.Image, 0, 0)
		if err != nil {
			return prepared{}, err
		}
		if init, err = c.encodeImage(ctx, img, g, c.Traits.LatentsStats); err != nil {
			return prepared{}, err
		}
	}
	init = repeatTo(init, r.NumImagesPerPrompt)
	if s.fromImage {
		return prepared{latents: init}, nil
	}
	noise := g.Randn(init.Shape()...)
	latents, err := s.state.AddNoise(init, noise, s.timesteps[0])
	return prepared{latents: latents}, err
}

// encodeImage encodes [-1,1] pixels to scaled latents, sampling the VAE's
// posterior with g (diffusers' retrieve_latents(..., generator)).
func (c *Core) encodeImage(ctx context.Context, img *tensor.Dense, g *rng.Generator, stats bool) (*tensor.Dense, error) {
	dist, err := c.VAE.Encode(ctx, img)
	if err != nil {
		return nil, err
	}
	z := dist.Sample(g)
	cfg := c.VAE.Config()
	sf := float32(cfg.ScalingFactor)
	if stats && hasLatentsStats(cfg.LatentsMean, cfg.LatentsStd) {
		tensor.NormalizeLatentsInPlace(z, cfg.LatentsMean, cfg.LatentsStd, sf)
		return z, nil
	}
	return tensor.Scale(z, sf), nil
}

func hasLatentsStats(mean, std []float64) bool { return len(mean) > 0 && len(std) > 0 }

// repeatTo repeats a batch of one to n items (x unchanged when it has n).
func repeatTo(x *tensor.Dense, n int) *tensor.Dense {
	if x.Shape()[0] == n {
		return x
	}
	return tensor.Repeat(x, n)
}
