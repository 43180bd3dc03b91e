package sdxl

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/pipelines"
)

// Family is the AutoPipeline family name of Stable Diffusion XL.
const Family = "stable-diffusion-xl"

// The diffusers class names.
const (
	Text2ImageClass  = "StableDiffusionXLPipeline"
	Image2ImageClass = "StableDiffusionXLImg2ImgPipeline"
	InpaintClass     = "StableDiffusionXLInpaintPipeline"
)

func init() {
	pipelines.Register(Family, pipelines.Text2Image, Text2ImageClass, ctor{pipelines.Text2Image, Text2ImageClass})
	pipelines.Register(Family, pipelines.Image2Image, Image2ImageClass, ctor{pipelines.Image2Image, Image2ImageClass})
	pipelines.Register(Family, pipelines.Inpainting, InpaintClass, ctor{pipelines.Inpainting, InpaintClass})
}

var modules = []string{"vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "scheduler", "image_encoder", "feature_extractor"}
var optional = []string{"tokenizer", "tokenizer_2", "text_encoder", "text_encoder_2", "image_encoder", "feature_extractor"}

type ctor struct {
	task  pipelines.Task
	class string
}

func (c ctor) Signature() pipelines.Signature {
	cfg := map[string]any{"force_zeros_for_empty_prompt": true, "add_watermarker": nil}
	if c.task != pipelines.Text2Image {
		cfg["requires_aesthetics_score"] = false
	}
	return pipelines.Signature{Modules: modules, Optional: optional, Config: cfg}
}

// Pipeline is a Stable Diffusion XL pipeline for one task.
type Pipeline struct {
	pipelines.Base
	tok, tok2  *clip.Tokenizer
	enc, enc2  *clip.TextModel
	forceZeros bool
	aesthetics bool
}

func (c ctor) New(comps map[string]any, cfg map[string]any) (pipelines.Pipeline, error) {
	base, err := pipelines.NewBase(c.class, c.task, c.Signature(), comps, cfg)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Base: base}
	p.forceZeros, _ = cfg["force_zeros_for_empty_prompt"].(bool)
	p.aesthetics, _ = cfg["requires_aesthetics_score"].(bool)
	if p.tok, err = pipelines.As[*clip.Tokenizer](c.class, "tokenizer", comps); err != nil {
		return nil, err
	}
	if p.tok2, err = pipelines.As[*clip.Tokenizer](c.class, "tokenizer_2", comps); err != nil {
		return nil, err
	}
	if p.enc, err = pipelines.As[*clip.TextModel](c.class, "text_encoder", comps); err != nil {
		return nil, err
	}
	if p.enc2, err = pipelines.As[*clip.TextModel](c.class, "text_encoder_2", comps); err != nil {
		return nil, err
	}
	if p.enc2 == nil || p.tok2 == nil {
		return nil, fmt.Errorf("%s: text_encoder_2 and tokenizer_2 are needed", c.class)
	}
	if (p.enc == nil) != (p.tok == nil) {
		return nil, fmt.Errorf("%s: text_encoder and tokenizer must both be present or both absent", c.class)
	}
	return p, nil
}

// Generate implements pipelines.Pipeline.
func (p *Pipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Base.Generate(ctx, r, p.plan)
}
