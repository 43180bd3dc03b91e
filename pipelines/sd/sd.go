package sd

import (
	"context"

	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// Family is the AutoPipeline family name of Stable Diffusion 1.x/2.x.
const Family = "stable-diffusion"

// The diffusers class names.
const (
	Text2ImageClass  = "StableDiffusionPipeline"
	Image2ImageClass = "StableDiffusionImg2ImgPipeline"
	InpaintClass     = "StableDiffusionInpaintPipeline"
)

// defaults are diffusers' __call__ defaults of each class.
var defaults = engine.DefaultsTable{
	engine.Text2Image:  {Steps: 50, Guidance: 7.5, SizeMultiple: 8},
	engine.Image2Image: {Steps: 50, Guidance: 7.5, Strength: 0.8},
	engine.Inpainting:  {Steps: 50, Guidance: 7.5, Strength: 1.0},
}

var signature = pipelines.Signature{
	Modules:  []string{"vae", "text_encoder", "tokenizer", "unet", "scheduler", "safety_checker", "feature_extractor", "image_encoder"},
	Optional: []string{"safety_checker", "feature_extractor", "image_encoder"},
	Config:   map[string]any{"requires_safety_checker": true},
}

func init() {
	engine.RegisterFamily(Family, [3]string{Text2ImageClass, Image2ImageClass, InpaintClass},
		func(c engine.ClassInfo) pipelines.Class { return class{c} })
}

// class is one of the family's pipeline classes (pipelines.Class).
type class struct{ engine.ClassInfo }

func (class) Signature() pipelines.Signature { return signature }

func (c class) spec() engine.Spec {
	return engine.Spec{Class: c.Class, Task: c.Task, Signature: signature, Defaults: defaults[c.Task]}
}

// Pipeline is a Stable Diffusion 1.x/2.x pipeline for one task.
type Pipeline struct {
	engine.Base
	tok *clip.Tokenizer
	enc *clip.TextModel
}

func (c class) New(comps pipelines.Components, cfg map[string]any) (pipelines.Pipeline, error) {
	base, err := engine.NewBase(c.spec(), comps, cfg)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Base: base}
	if p.tok, err = engine.As[*clip.Tokenizer](c.Class, "tokenizer", comps); err != nil {
		return nil, err
	}
	if p.enc, err = engine.As[*clip.TextModel](c.Class, "text_encoder", comps); err != nil {
		return nil, err
	}
	if p.Core.Safety, err = engine.SafetyFrom(c.Class, comps); err != nil {
		return nil, err
	}
	return p, nil
}

// Generate implements pipelines.Pipeline.
func (p *Pipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Base.Generate(ctx, r, encoder{p})
}

// encoder is the family's part of the flow (engine.Encoder).
type encoder struct{ p *Pipeline }

// Encode returns the prompt's last hidden state (or an earlier one with
// clip skip), and the negative prompt's before it when guidance is on.
func (e encoder) Encode(ctx context.Context, r pipelines.Request, _ engine.Size) (engine.Conditioning, error) {
	p, cfg := e.p, engine.DoCFG(r)
	if r.PromptSyntax != "" {
		pos, neg, err := engine.EncodeWeightedPair(ctx, p.tok, p.enc, r.Prompt, r.NegativePrompt, cfg, r.ClipSkip, true)
		if err != nil {
			return engine.Conditioning{}, err
		}
		embeds := tensor.RepeatInterleave(pos, r.NumImagesPerPrompt)
		if cfg {
			embeds = tensor.Concat(0, tensor.RepeatInterleave(neg, r.NumImagesPerPrompt), embeds)
		}
		return engine.Conditioning{Embeds: embeds, CFG: cfg}, nil
	}
	pos, err := engine.EncodeText(ctx, p.tok, p.enc, r.Prompt, r.ClipSkip, true)
	if err != nil {
		return engine.Conditioning{}, err
	}
	embeds := tensor.RepeatInterleave(pos.Hidden, r.NumImagesPerPrompt)
	if cfg {
		neg, err := engine.EncodeText(ctx, p.tok, p.enc, r.NegativePrompt, 0, true)
		if err != nil {
			return engine.Conditioning{}, err
		}
		embeds = tensor.Concat(0, tensor.RepeatInterleave(neg.Hidden, r.NumImagesPerPrompt), embeds)
	}
	return engine.Conditioning{Embeds: embeds, CFG: cfg}, nil
}

// CheckRequest rejects the request fields only SDXL pipelines take, as
// diffusers' SD pipelines reject unexpected arguments.
func (encoder) CheckRequest(r pipelines.Request) error {
	if r.Prompt2 != "" || r.NegativePrompt2 != "" {
		return pipelines.InvalidRequest("prompt_2 and negative_prompt_2 are only used by Stable Diffusion XL pipelines")
	}
	if r.DenoisingStart != 0 || r.DenoisingEnd != 0 {
		return pipelines.InvalidRequest("denoising_start and denoising_end are only used by Stable Diffusion XL pipelines")
	}
	if sdxlConditioning(r) {
		return pipelines.InvalidRequest("size, crop and aesthetic conditioning are only used by Stable Diffusion XL pipelines")
	}
	return nil
}

func sdxlConditioning(r pipelines.Request) bool {
	for _, v := range [][2]int{r.OriginalSize, r.TargetSize, r.CropsCoordsTopLeft,
		r.NegativeOriginalSize, r.NegativeTargetSize, r.NegativeCropsCoordsTopLeft} {
		if v != [2]int{} {
			return true
		}
	}
	return r.AestheticScore != 0 || r.NegativeAestheticScore != 0
}
