package safety

import (
	"github.com/goautopipe/diffusers/internal/limits"
)

// checkBounds refuses counts, sizes and floats no CLIP vision tower uses
// before any of them sizes an allocation.
func (c Config) checkBounds() error {
	v, l := c.Vision, limits.MaxChannels
	return limits.First(
		limits.Int("projection_dim", c.ProjectionDim, 1, l),
		limits.Int("vision_config.hidden_size", v.HiddenSize, 1, l),
		limits.Int("vision_config.intermediate_size", v.IntermediateSize, 1, 4*l),
		limits.Int("vision_config.num_hidden_layers", v.NumHiddenLayers, 0, limits.MaxLayers),
		limits.Int("vision_config.num_attention_heads", v.NumAttentionHeads, 1, limits.MaxHeads),
		limits.Int("vision_config.image_size", v.ImageSize, 1, limits.MaxSampleSize),
		limits.Int("vision_config.patch_size", v.PatchSize, 1, limits.MaxSampleSize),
		limits.Int("vision_config.num_channels", v.NumChannels, 1, 16),
		limits.Positive("vision_config.layer_norm_eps", v.LayerNormEps),
		limits.Float("vision_config.layer_norm_eps", v.LayerNormEps, 0, 1),
	)
}

// maxExtractorSide bounds the feature extractor's resize and crop sizes:
// the safety checker sees 224-pixel crops; 4096 leaves room for any CLIP
// vision tower without letting a config ask for gigapixel buffers.
const maxExtractorSide = 4096

// checkBounds refuses sizes and floats outside what a CLIP image processor
// uses.
func (fe *FeatureExtractor) checkBounds() error {
	errs := []error{
		limits.Int("size.shortest_edge", fe.ResizeShortest, 1, maxExtractorSide),
		limits.Int("crop_size.height", fe.CropH, 1, maxExtractorSide),
		limits.Int("crop_size.width", fe.CropW, 1, maxExtractorSide),
		limits.Finite("rescale_factor", fe.Rescale),
	}
	for i := range 3 {
		errs = append(errs, limits.Finite("image_mean", float64(fe.Mean[i])),
			limits.Positive("image_std", float64(fe.Std[i])))
	}
	return limits.First(errs...)
}
