package sd

import (
	"context"

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

func init() {
	pipelines.Register(Family, pipelines.Text2Image, Text2ImageClass, ctor{pipelines.Text2Image, Text2ImageClass})
	pipelines.Register(Family, pipelines.Image2Image, Image2ImageClass, ctor{pipelines.Image2Image, Image2ImageClass})
	pipelines.Register(Family, pipelines.Inpainting, InpaintClass, ctor{pipelines.Inpainting, InpaintClass})
}

var signature = pipelines.Signature{
	Modules:  []string{"vae", "text_encoder", "tokenizer", "unet", "scheduler", "safety_checker", "feature_extractor", "image_encoder"},
	Optional: []string{"safety_checker", "feature_extractor", "image_encoder"},
	Config:   map[string]any{"requires_safety_checker": true},
}

type ctor struct {
	task  pipelines.Task
	class string
}

func (c ctor) Signature() pipelines.Signature { return signature }

// Pipeline is a Stable Diffusion 1.x/2.x pipeline for one task.
type Pipeline struct {
	pipelines.Base
	tok *clip.Tokenizer
	enc *clip.TextModel
}

func (c ctor) New(comps map[string]any, cfg map[string]any) (pipelines.Pipeline, error) {
	base, err := pipelines.NewBase(c.class, c.task, signature, comps, cfg)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Base: base}
	if p.tok, err = pipelines.As[*clip.Tokenizer](c.class, "tokenizer", comps); err != nil {
		return nil, err
	}
	if p.enc, err = pipelines.As[*clip.TextModel](c.class, "text_encoder", comps); err != nil {
		return nil, err
	}
	if p.Core.Safety, err = pipelines.SafetyFrom(c.class, comps); err != nil {
		return nil, err
	}
	return p, nil
}

// Generate implements pipelines.Pipeline.
func (p *Pipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Base.Generate(ctx, r, p.plan)
}

func (p *Pipeline) plan(ctx context.Context, r pipelines.Request) (*pipelines.Plan, error) {
	task := p.Core.Task
	sample := p.Core.DefaultSampleSize()
	r = pipelines.ApplyDefaults(r, task, pipelines.Defaults{Guidance: 7.5, Strength: map[pipelines.Task]float64{pipelines.Image2Image: 0.8, pipelines.Inpainting: 1.0}})
	if err := pipelines.Validate(r, task); err != nil {
		return nil, err
	}
	if err := onlySDXL(r); err != nil {
		return nil, err
	}
	w, h := r.Width, r.Height
	switch task {
	case pipelines.Image2Image:
		// Like diffusers, img2img works at the input image's size.
		w, h = p.Core.Proc.DefaultSize(r.Image, 0, 0)
	default:
		if w == 0 {
			w = sample
		}
		if h == 0 {
			h = sample
		}
	}
	div := 8
	if task == pipelines.Inpainting {
		div = p.Core.Proc.VAEScaleFactor
	}
	if task != pipelines.Image2Image && (h%div != 0 || w%div != 0) {
		return nil, pipelines.InvalidRequest("`height` and `width` have to be divisible by 8 but are %d and %d.", h, w)
	}
	cfg := r.GuidanceScale > 1
	pos, err := pipelines.EncodeText(ctx, p.tok, p.enc, r.Prompt, r.ClipSkip, true)
	if err != nil {
		return nil, err
	}
	embeds := pipelines.RepeatEach(pos.Hidden, r.NumImagesPerPrompt)
	if cfg {
		neg, err := pipelines.EncodeText(ctx, p.tok, p.enc, r.NegativePrompt, 0, true)
		if err != nil {
			return nil, err
		}
		embeds = tensor.Concat(0, pipelines.RepeatEach(neg.Hidden, r.NumImagesPerPrompt), embeds)
	}
	return &pipelines.Plan{Req: r, Width: w, Height: h, Cond: pipelines.Conditioning{Embeds: embeds, CFG: cfg}}, nil
}

// onlySDXL rejects the request fields only SDXL pipelines take, as
// diffusers' SD pipelines reject unexpected arguments.
func onlySDXL(r pipelines.Request) error {
	var zero [2]int
	switch {
	case r.Prompt2 != "", r.NegativePrompt2 != "":
		return pipelines.InvalidRequest("prompt_2 and negative_prompt_2 are only used by Stable Diffusion XL pipelines")
	case r.DenoisingStart != 0, r.DenoisingEnd != 0:
		return pipelines.InvalidRequest("denoising_start and denoising_end are only used by Stable Diffusion XL pipelines")
	case r.OriginalSize != zero, r.TargetSize != zero, r.CropsCoordsTopLeft != zero, r.NegativeOriginalSize != zero,
		r.NegativeTargetSize != zero, r.NegativeCropsCoordsTopLeft != zero, r.AestheticScore != 0, r.NegativeAestheticScore != 0:
		return pipelines.InvalidRequest("size, crop and aesthetic conditioning are only used by Stable Diffusion XL pipelines")
	}
	return nil
}
