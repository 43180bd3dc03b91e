package sdxl

import (
	"fmt"

	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// timeIDs are SDXL's micro-conditioning vectors for the prompt and the
// negative prompt.
type timeIDs struct {
	pos, neg []float32
	target   [2]int
}

// timeIDs builds the micro-conditioning as diffusers' _get_add_time_ids:
// original size, crop and target size (or, for image-to-image and
// inpainting with requires_aesthetics_score, the aesthetic score instead
// of the target size). Zero sizes mean the image size.
func (p *Pipeline) timeIDs(r pipelines.Request, size engine.Size) timeIDs {
	hw := [2]int{size.Height, size.Width}
	orig, target := orSize(r.OriginalSize, hw), orSize(r.TargetSize, hw)
	ids := timeIDs{target: target}
	if p.Core.Task == engine.Text2Image {
		ids.pos = vec(orig, r.CropsCoordsTopLeft, target)
		ids.neg = ids.pos
		if r.NegativeOriginalSize != [2]int{} && r.NegativeTargetSize != [2]int{} {
			ids.neg = vec(r.NegativeOriginalSize, r.NegativeCropsCoordsTopLeft, r.NegativeTargetSize)
		}
		return ids
	}
	nOrig, nTarget := orSize(r.NegativeOriginalSize, orig), orSize(r.NegativeTargetSize, target)
	if p.aesthetics {
		ids.pos = append(vec(orig, r.CropsCoordsTopLeft), float32(r.AestheticScore))
		ids.neg = append(vec(nOrig, r.NegativeCropsCoordsTopLeft), float32(r.NegativeAestheticScore))
		return ids
	}
	// diffusers pairs the negative sizes with the positive crop here.
	ids.pos = vec(orig, r.CropsCoordsTopLeft, target)
	ids.neg = vec(nOrig, r.CropsCoordsTopLeft, nTarget)
	return ids
}

// guidedTimeIDs lays the ids out for a guided batch as diffusers does:
// text-to-image repeats the [neg; pos] pair, the other tasks put n
// negatives before n positives.
func (p *Pipeline) guidedTimeIDs(ids timeIDs, n int) *tensor.Dense {
	if p.Core.Task == engine.Text2Image {
		return tensor.Repeat(tensor.Concat(0, tensor.Rows(ids.neg, 1), tensor.Rows(ids.pos, 1)), n)
	}
	return tensor.Concat(0, tensor.Rows(ids.neg, n), tensor.Rows(ids.pos, n))
}

// checkAddedDim compares the micro-conditioning size with the UNet's
// add_embedding input, with diffusers' error texts.
func (p *Pipeline) checkAddedDim(nIDs, projDim int, r pipelines.Request, target [2]int) error {
	uc := p.Core.UNet.Config()
	if uc.AdditionEmbedType == nil || *uc.AdditionEmbedType != "text_time" || uc.AdditionTimeEmbedDim == nil || uc.ProjectionClassEmbeddingsInputDim == nil {
		return fmt.Errorf("%s: the UNet has no \"text_time\" addition embedding (addition_embed_type, addition_time_embed_dim, projection_class_embeddings_input_dim)", p.ClassName())
	}
	d := *uc.AdditionTimeEmbedDim
	passed := d*nIDs + projDim
	expected := *uc.ProjectionClassEmbeddingsInputDim
	prefix := fmt.Sprintf("Model expects an added time embedding vector of length %d, but a vector of %d was created.", expected, passed)
	switch {
	case expected == passed:
		return nil
	case p.Core.Task == engine.Text2Image:
	case expected-passed == d:
		return fmt.Errorf("%s Please make sure to enable `requires_aesthetics_score` with `pipe.register_to_config(requires_aesthetics_score=True)` to make sure `aesthetic_score` %v and `negative_aesthetic_score` %v is correctly used by the model.", prefix, r.AestheticScore, r.NegativeAestheticScore)
	case passed-expected == d:
		return fmt.Errorf("%s Please make sure to disable `requires_aesthetics_score` with `pipe.register_to_config(requires_aesthetics_score=False)` to make sure `target_size` (%d, %d) is correctly used by the model.", prefix, target[0], target[1])
	}
	return fmt.Errorf("%s The model has an incorrect config. Please check `unet.config.time_embedding_type` and `text_encoder_2.config.projection_dim`.", prefix)
}

// vec flattens size pairs into one vector.
func vec(pairs ...[2]int) []float32 {
	out := make([]float32, 0, 2*len(pairs))
	for _, p := range pairs {
		out = append(out, float32(p[0]), float32(p[1]))
	}
	return out
}

func orSize(v, fallback [2]int) [2]int {
	if v == [2]int{} {
		return fallback
	}
	return v
}
