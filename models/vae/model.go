package vae

import (
	"context"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// Model is what a pipeline needs of its autoencoder. AutoencoderKL and
// AutoencoderTiny implement it, so either can be a pipeline's "vae".
type Model interface {
	// EncodeLatents encodes images x [N, C, H, W] in [-1, 1] to latents
	// before scaling, as diffusers' retrieve_latents(vae.encode(x),
	// generator): a sample of AutoencoderKL's posterior drawn from g, or
	// AutoencoderTiny's deterministic latents (g is not used).
	EncodeLatents(ctx context.Context, x *tensor.Dense, g *rng.Generator) (*tensor.Dense, error)
	// Decode maps latents already divided by the scaling factor to images
	// roughly in [-1, 1].
	Decode(ctx context.Context, z *tensor.Dense) (*tensor.Dense, error)
	// Latents describes the latent space.
	Latents() LatentSpace
}

// LatentSpace is what a pipeline reads from an autoencoder's config.
type LatentSpace struct {
	// Channels is latent_channels; DownFactor the image-to-latent ratio
	// (diffusers' vae_scale_factor, 2^(len(block_out_channels)-1)).
	Channels, DownFactor int
	// ScalingFactor multiplies encoded latents (scaling_factor).
	ScalingFactor float64
	// Mean and Std are latents_mean / latents_std (nil when absent).
	Mean, Std []float64
}

// EncodeLatents implements Model: Encode, then a posterior sample drawn
// from g.
func (v *AutoencoderKL) EncodeLatents(ctx context.Context, x *tensor.Dense, g *rng.Generator) (*tensor.Dense, error) {
	dist, err := v.Encode(ctx, x)
	if err != nil {
		return nil, err
	}
	return dist.Sample(g), nil
}

// Latents implements Model.
func (v *AutoencoderKL) Latents() LatentSpace {
	c := v.cfg
	return LatentSpace{Channels: c.LatentChannels, DownFactor: c.DownFactor(), ScalingFactor: c.ScalingFactor,
		Mean: c.LatentsMean, Std: c.LatentsStd}
}

// EncodeLatents implements Model: Encode (deterministic; g is not used).
func (v *AutoencoderTiny) EncodeLatents(ctx context.Context, x *tensor.Dense, _ *rng.Generator) (*tensor.Dense, error) {
	return v.Encode(ctx, x)
}

// Latents implements Model.
func (v *AutoencoderTiny) Latents() LatentSpace {
	c := v.cfg
	return LatentSpace{Channels: c.LatentChannels, DownFactor: c.DownFactor(), ScalingFactor: c.ScalingFactor}
}
