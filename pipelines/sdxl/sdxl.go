package sdxl

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/internal/engine"
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

// defaults are diffusers' __call__ defaults of each class (SDXL inpainting
// guides at 7.5, the others at 5.0).
var defaults = engine.DefaultsTable{
	engine.Text2Image:  {Steps: 50, Guidance: 5.0, SizeMultiple: 8},
	engine.Image2Image: {Steps: 50, Guidance: 5.0, Strength: 0.3, AestheticScore: 6.0, NegativeAestheticScore: 2.5},
	engine.Inpainting:  {Steps: 50, Guidance: 7.5, Strength: 0.9999, AestheticScore: 6.0, NegativeAestheticScore: 2.5, SizeMultiple: 8},
}

var (
	modules  = []string{"vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "scheduler", "image_encoder", "feature_extractor"}
	optional = []string{"tokenizer", "tokenizer_2", "text_encoder", "text_encoder_2", "image_encoder", "feature_extractor"}
)

func init() {
	engine.RegisterFamily(Family, [3]string{Text2ImageClass, Image2ImageClass, InpaintClass},
		func(c engine.ClassInfo) pipelines.Class { return class{c} })
}

// class is one of the family's pipeline classes (pipelines.Class).
type class struct{ engine.ClassInfo }

func (c class) Signature() pipelines.Signature {
	cfg := map[string]any{"force_zeros_for_empty_prompt": true, "add_watermarker": nil}
	if c.Task != engine.Text2Image {
		cfg["requires_aesthetics_score"] = false
	}
	return pipelines.Signature{Modules: modules, Optional: optional, Config: cfg}
}

func (c class) spec() engine.Spec {
	return engine.Spec{Class: c.Class, Task: c.Task, Signature: c.Signature(), Defaults: defaults[c.Task],
		Traits: engine.Traits{DenoisingRange: true, LatentsStats: true}}
}

// Pipeline is a Stable Diffusion XL pipeline for one task.
type Pipeline struct {
	engine.Base
	tok, tok2  *clip.Tokenizer
	enc, enc2  *clip.TextModel
	forceZeros bool
	aesthetics bool
}

func (c class) New(comps pipelines.Components, cfg map[string]any) (pipelines.Pipeline, error) {
	base, err := engine.NewBase(c.spec(), comps, cfg)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Base: base}
	p.forceZeros, _ = cfg["force_zeros_for_empty_prompt"].(bool)
	p.aesthetics, _ = cfg["requires_aesthetics_score"].(bool)
	if err := p.textModels(c.Class, comps); err != nil {
		return nil, err
	}
	return p, nil
}

// textModels takes the tokenizers and text encoders: the second pair is
// required, the first optional (the refiner has none).
func (p *Pipeline) textModels(class string, comps pipelines.Components) error {
	var err error
	if p.tok, err = engine.As[*clip.Tokenizer](class, "tokenizer", comps); err != nil {
		return err
	}
	if p.tok2, err = engine.As[*clip.Tokenizer](class, "tokenizer_2", comps); err != nil {
		return err
	}
	if p.enc, err = engine.As[*clip.TextModel](class, "text_encoder", comps); err != nil {
		return err
	}
	if p.enc2, err = engine.As[*clip.TextModel](class, "text_encoder_2", comps); err != nil {
		return err
	}
	if p.enc2 == nil || p.tok2 == nil {
		return fmt.Errorf("%s: text_encoder_2 and tokenizer_2 are needed", class)
	}
	if (p.enc == nil) != (p.tok == nil) {
		return fmt.Errorf("%s: text_encoder and tokenizer must both be present or both absent", class)
	}
	return nil
}

// Generate implements pipelines.Pipeline.
func (p *Pipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Base.Generate(ctx, r, encoder{p})
}

// encoder is the family's part of the flow (engine.Encoder).
type encoder struct{ p *Pipeline }

// CheckRequest checks SDXL's own fields.
func (encoder) CheckRequest(r pipelines.Request) error {
	if r.PromptSyntax != "" {
		return pipelines.InvalidRequest("prompt_syntax is only supported by Stable Diffusion 1.x/2.x pipelines")
	}
	for _, v := range []float64{r.DenoisingStart, r.DenoisingEnd} {
		if v < 0 || v >= 1 {
			return pipelines.InvalidRequest("`denoising_start` and `denoising_end` have to be in (0, 1) but are %v and %v", r.DenoisingStart, r.DenoisingEnd)
		}
	}
	return nil
}
