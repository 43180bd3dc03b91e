package unet

import (
	"github.com/goautopipe/diffusers/internal/limits"
)

// checkBounds refuses counts, sizes and floats no UNet uses before any of
// them sizes an allocation (a layers_per_block of 1e9 would otherwise try
// to build a billion layers).
func (c *Config) checkBounds() error {
	l := limits.MaxChannels
	errs := []error{
		limits.Ints("sample_size", c.SampleSize, 1, limits.MaxSampleSize, 2),
		limits.Int("in_channels", c.InChannels, 1, l),
		limits.Int("out_channels", c.OutChannels, 1, l),
		limits.Finite("freq_shift", c.FreqShift),
		limits.Int("len(down_block_types)", len(c.DownBlockTypes), 1, limits.MaxBlocks),
		limits.Ints("block_out_channels", c.BlockOutChannels, 1, l, limits.MaxBlocks),
		limits.Ints("layers_per_block", c.LayersPerBlock, 1, limits.MaxLayers, limits.MaxBlocks),
		limits.Int("downsample_padding", c.DownsamplePadding, 0, limits.MaxKernel),
		limits.Finite("mid_block_scale_factor", c.MidBlockScaleFactor),
		limits.Float("norm_eps", c.NormEps, 0, 1),
		limits.Positive("norm_eps", c.NormEps),
		limits.Ints("cross_attention_dim", c.CrossAttentionDim, 1, l, limits.MaxBlocks),
		limits.Ints("transformer_layers_per_block", c.TransformerLayersPerBlock, 0, limits.MaxLayers, limits.MaxBlocks),
		limits.Ints("attention_head_dim", c.AttentionHeadDim, 1, l, limits.MaxBlocks),
		limits.Ints("num_attention_heads", c.NumAttentionHeads, 1, limits.MaxHeads, limits.MaxBlocks),
		limits.Finite("resnet_out_scale_factor", c.ResnetOutScaleFactor),
		limits.Int("conv_in_kernel", c.ConvInKernel, 1, limits.MaxKernel),
		limits.Int("conv_out_kernel", c.ConvOutKernel, 1, limits.MaxKernel),
	}
	if c.NormNumGroups != nil {
		errs = append(errs, limits.Int("norm_num_groups", *c.NormNumGroups, 1, limits.MaxGroups))
	}
	for _, p := range []struct {
		key string
		v   *int
	}{
		{"time_embedding_dim", c.TimeEmbeddingDim},
		{"addition_time_embed_dim", c.AdditionTimeEmbedDim},
		{"projection_class_embeddings_input_dim", c.ProjectionClassEmbeddingsInputDim},
	} {
		if p.v != nil {
			errs = append(errs, limits.Int(p.key, *p.v, 1, 4*l))
		}
	}
	return limits.First(errs...)
}
