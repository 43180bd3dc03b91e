package vae

import (
	"github.com/goautopipe/diffusers/internal/limits"
)

// checkBounds refuses counts, sizes and floats no AutoencoderKL uses before
// any of them sizes an allocation.
func (c Config) checkBounds() error {
	l := limits.MaxChannels
	return limits.First(
		limits.Int("in_channels", c.InChannels, 1, l),
		limits.Int("out_channels", c.OutChannels, 1, l),
		limits.Int("latent_channels", c.LatentChannels, 1, l),
		limits.Ints("block_out_channels", c.BlockOutChannels, 1, l, limits.MaxBlocks),
		limits.Int("layers_per_block", c.LayersPerBlock, 1, limits.MaxLayers),
		limits.Int("norm_num_groups", c.NormNumGroups, 1, limits.MaxGroups),
		limits.Ints("sample_size", c.SampleSize, 1, limits.MaxSampleSize, 2),
		limits.Finite("scaling_factor", c.ScalingFactor),
		limits.Floats("latents_mean", c.LatentsMean),
		limits.Floats("latents_std", c.LatentsStd),
		shift(c.ShiftFactor),
	)
}

func shift(v *float64) error {
	if v == nil {
		return nil
	}
	return limits.Finite("shift_factor", *v)
}
