package sdxl

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

var defaults = pipelines.Defaults{
	Guidance: 5.0,
	Strength: map[pipelines.Task]float64{pipelines.Image2Image: 0.3, pipelines.Inpainting: 0.9999},
}

func (p *Pipeline) plan(ctx context.Context, r pipelines.Request) (*pipelines.Plan, error) {
	task := p.Core.Task
	f := p.Core.Proc.VAEScaleFactor
	sample := p.Core.DefaultSampleSize()
	if task == pipelines.Inpainting && r.GuidanceScale == 0 {
		// diffusers' SDXL inpainting defaults to 7.5, the others to 5.0.
		r.GuidanceScale = 7.5
	}
	r = pipelines.ApplyDefaults(r, task, defaults)
	if err := pipelines.Validate(r, task); err != nil {
		return nil, err
	}
	w, h := r.Width, r.Height
	switch {
	case task == pipelines.Image2Image && r.Image == nil:
		sh := r.Latents.Shape()
		h, w = sh[2]*f, sh[3]*f
	case task == pipelines.Image2Image:
		w, h = p.Core.Proc.DefaultSize(r.Image, 0, 0)
	default:
		if w == 0 {
			w = sample
		}
		if h == 0 {
			h = sample
		}
		if h%8 != 0 || w%8 != 0 {
			return nil, pipelines.InvalidRequest("`height` and `width` have to be divisible by 8 but are %d and %d.", h, w)
		}
	}
	for _, v := range []float64{r.DenoisingStart, r.DenoisingEnd} {
		if v < 0 || v >= 1 {
			return nil, pipelines.InvalidRequest("`denoising_start` and `denoising_end` have to be in (0, 1) but are %v and %v", r.DenoisingStart, r.DenoisingEnd)
		}
	}
	cfg := r.GuidanceScale > 1

	embeds, pooled, err := p.encode(ctx, r.Prompt, r.Prompt2, r.ClipSkip)
	if err != nil {
		return nil, err
	}
	n := r.NumImagesPerPrompt
	embeds, pooled = pipelines.RepeatEach(embeds, n), pipelines.RepeatEach(pooled, n)
	projDim := pooled.Shape()[1]

	orig, target := r.OriginalSize, r.TargetSize
	if orig == [2]int{} {
		orig = [2]int{h, w}
	}
	if target == [2]int{} {
		target = [2]int{h, w}
	}
	var pos, neg []float32
	if task == pipelines.Text2Image {
		pos = ids(orig, r.CropsCoordsTopLeft, target)
		neg = pos
		if r.NegativeOriginalSize != [2]int{} && r.NegativeTargetSize != [2]int{} {
			neg = ids(r.NegativeOriginalSize, r.NegativeCropsCoordsTopLeft, r.NegativeTargetSize)
		}
	} else {
		nOrig, nTarget := r.NegativeOriginalSize, r.NegativeTargetSize
		if nOrig == [2]int{} {
			nOrig = orig
		}
		if nTarget == [2]int{} {
			nTarget = target
		}
		aes, naes := r.AestheticScore, r.NegativeAestheticScore
		if aes == 0 {
			aes = 6.0
		}
		if naes == 0 {
			naes = 2.5
		}
		if p.aesthetics {
			pos = append(ids(orig, r.CropsCoordsTopLeft, [2]int{}), float32(aes))[:5]
			neg = append(ids(nOrig, r.NegativeCropsCoordsTopLeft, [2]int{}), float32(naes))[:5]
			pos = append(pos[:4], float32(aes))
			neg = append(neg[:4], float32(naes))
		} else {
			pos = ids(orig, r.CropsCoordsTopLeft, target)
			neg = ids(nOrig, r.CropsCoordsTopLeft, nTarget)
		}
	}
	if err := p.checkAddedDim(len(pos), projDim, aesthetic(r), target); err != nil {
		return nil, err
	}

	cond := pipelines.Conditioning{CFG: cfg}
	timeIDs := rows(pos, n)
	if !cfg {
		cond.Embeds = embeds
		cond.Added = &unet.AddedCond{TextEmbeds: pooled, TimeIDs: timeIDs}
	} else {
		var nEmbeds, nPooled *tensor.Dense
		if p.forceZeros && r.NegativePrompt == "" {
			nEmbeds, nPooled = tensor.New(embeds.Shape()...), tensor.New(pooled.Shape()...)
		} else {
			e, pl, err := p.encodeNegative(ctx, r.NegativePrompt, r.NegativePrompt2)
			if err != nil {
				return nil, err
			}
			nEmbeds, nPooled = pipelines.RepeatEach(e, n), pipelines.RepeatEach(pl, n)
		}
		cond.Embeds = tensor.Concat(0, nEmbeds, embeds)
		var allIDs *tensor.Dense
		if task == pipelines.Text2Image {
			// diffusers concatenates [neg; pos] and then repeats the pair.
			pair := tensor.Concat(0, rows(neg, 1), rows(pos, 1))
			parts := make([]*tensor.Dense, n)
			for i := range parts {
				parts[i] = pair
			}
			allIDs = tensor.Concat(0, parts...)
		} else {
			allIDs = tensor.Concat(0, rows(neg, n), timeIDs)
		}
		cond.Added = &unet.AddedCond{TextEmbeds: tensor.Concat(0, nPooled, pooled), TimeIDs: allIDs}
	}
	return &pipelines.Plan{Req: r, Width: w, Height: h, Cond: cond, UseDenoisingRange: true, LatentsStats: true}, nil
}

type aesth struct{ pos, neg float64 }

func aesthetic(r pipelines.Request) aesth {
	return aesth{r.AestheticScore, r.NegativeAestheticScore}
}

// checkAddedDim compares the micro-conditioning size with the UNet's
// add_embedding input, with diffusers' error texts.
func (p *Pipeline) checkAddedDim(nIDs, projDim int, a aesth, target [2]int) error {
	uc := p.Core.UNet.Config()
	if uc.AdditionEmbedType == nil || *uc.AdditionEmbedType != "text_time" || uc.AdditionTimeEmbedDim == nil || uc.ProjectionClassEmbeddingsInputDim == nil {
		return fmt.Errorf("%s: the UNet has no \"text_time\" addition embedding (addition_embed_type, addition_time_embed_dim, projection_class_embeddings_input_dim)", p.ClassName())
	}
	d := *uc.AdditionTimeEmbedDim
	passed := d*nIDs + projDim
	expected := *uc.ProjectionClassEmbeddingsInputDim
	aes, naes := a.pos, a.neg
	if aes == 0 {
		aes = 6.0
	}
	if naes == 0 {
		naes = 2.5
	}
	switch {
	case expected > passed && expected-passed == d:
		return fmt.Errorf("Model expects an added time embedding vector of length %d, but a vector of %d was created. Please make sure to enable `requires_aesthetics_score` with `pipe.register_to_config(requires_aesthetics_score=True)` to make sure `aesthetic_score` %v and `negative_aesthetic_score` %v is correctly used by the model.", expected, passed, aes, naes)
	case expected < passed && passed-expected == d:
		return fmt.Errorf("Model expects an added time embedding vector of length %d, but a vector of %d was created. Please make sure to disable `requires_aesthetics_score` with `pipe.register_to_config(requires_aesthetics_score=False)` to make sure `target_size` (%d, %d) is correctly used by the model.", expected, passed, target[0], target[1])
	case expected != passed:
		return fmt.Errorf("Model expects an added time embedding vector of length %d, but a vector of %d was created. The model has an incorrect config. Please check `unet.config.time_embedding_type` and `text_encoder_2.config.projection_dim`.", expected, passed)
	}
	return nil
}

func ids(orig, crop, target [2]int) []float32 {
	return []float32{float32(orig[0]), float32(orig[1]), float32(crop[0]), float32(crop[1]), float32(target[0]), float32(target[1])}
}

// rows stacks n copies of v into an [n, len(v)] tensor.
func rows(v []float32, n int) *tensor.Dense {
	out := tensor.New(n, len(v))
	d := tensor.F32(out)
	for i := 0; i < n; i++ {
		copy(d[i*len(v):], v)
	}
	return out
}

type encoder struct {
	tok *clip.Tokenizer
	enc *clip.TextModel
}

func (p *Pipeline) encoders() []encoder {
	if p.enc == nil {
		return []encoder{{p.tok2, p.enc2}}
	}
	return []encoder{{p.tok, p.enc}, {p.tok2, p.enc2}}
}

// encode returns the concatenated hidden states (hidden_states[-2], or
// earlier with clip skip) and the pooled projection, as diffusers'
// encode_prompt does. Prompts pair with encoders in order; a pipeline with
// only the second encoder uses the first prompt.
func (p *Pipeline) encode(ctx context.Context, prompt, prompt2 string, clipSkip int) (*tensor.Dense, *tensor.Dense, error) {
	if prompt2 == "" {
		prompt2 = prompt
	}
	return p.run(ctx, []string{prompt, prompt2}, clipSkip)
}

func (p *Pipeline) encodeNegative(ctx context.Context, neg, neg2 string) (*tensor.Dense, *tensor.Dense, error) {
	if neg2 == "" {
		neg2 = neg
	}
	return p.run(ctx, []string{neg, neg2}, 0)
}

func (p *Pipeline) run(ctx context.Context, prompts []string, clipSkip int) (*tensor.Dense, *tensor.Dense, error) {
	var hidden []*tensor.Dense
	var pooled *tensor.Dense
	for i, e := range p.encoders() {
		te, err := pipelines.EncodeText(ctx, e.tok, e.enc, prompts[i], 0, false)
		if err != nil {
			return nil, nil, err
		}
		hs := te.HiddenStates
		k := len(hs) - (clipSkip + 2)
		if k < 0 {
			return nil, nil, fmt.Errorf("clip_skip %d is larger than the text encoder's %d layers", clipSkip, len(hs)-1)
		}
		hidden = append(hidden, hs[k])
		if pooled == nil && te.TextEmbeds != nil {
			pooled = te.TextEmbeds
		}
	}
	if pooled == nil {
		return nil, nil, fmt.Errorf("%s: text_encoder_2 has no text projection (want CLIPTextModelWithProjection)", p.ClassName())
	}
	return tensor.Concat(2, hidden...), pooled, nil
}
