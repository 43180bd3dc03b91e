package sd

import (
	"context"
	"fmt"
	"time"

	"github.com/goautopipe/autopipeline/models/clip"
	"github.com/goautopipe/autopipeline/models/unet"
	"github.com/goautopipe/autopipeline/models/vae"
	"github.com/goautopipe/autopipeline/pipelines"
	"github.com/goautopipe/autopipeline/schedulers"
	"github.com/goautopipe/autopipeline/tensor"
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
	class string
	comps map[string]any
	cfg   map[string]any
	core  *pipelines.Core
	tok   *clip.Tokenizer
	enc   *clip.TextModel
}

func (c ctor) New(comps map[string]any, cfg map[string]any) (pipelines.Pipeline, error) {
	if err := pipelines.CheckModules(c.class, signature, comps); err != nil {
		return nil, err
	}
	p := &Pipeline{class: c.class, comps: map[string]any{}, cfg: map[string]any{}}
	for k, v := range comps {
		if v != nil {
			p.comps[k] = v
		}
	}
	for k, v := range cfg {
		p.cfg[k] = v
	}
	var err error
	core := &pipelines.Core{Task: c.task}
	if core.UNet, err = pipelines.As[*unet.Model](c.class, "unet", comps); err != nil {
		return nil, err
	}
	if core.VAE, err = pipelines.As[*vae.AutoencoderKL](c.class, "vae", comps); err != nil {
		return nil, err
	}
	if core.Scheduler, err = pipelines.As[schedulers.Scheduler](c.class, "scheduler", comps); err != nil {
		return nil, err
	}
	if p.tok, err = pipelines.As[*clip.Tokenizer](c.class, "tokenizer", comps); err != nil {
		return nil, err
	}
	if p.enc, err = pipelines.As[*clip.TextModel](c.class, "text_encoder", comps); err != nil {
		return nil, err
	}
	if core.Safety, err = pipelines.SafetyFrom(c.class, comps); err != nil {
		return nil, err
	}
	core.Proc = pipelines.ImageProcessor{VAEScaleFactor: pipelines.VAEScaleFactor(core.VAE)}
	p.core = core
	return p, nil
}

// ClassName implements pipelines.Pipeline.
func (p *Pipeline) ClassName() string { return p.class }

// Components implements pipelines.Pipeline.
func (p *Pipeline) Components() map[string]any {
	out := make(map[string]any, len(p.comps))
	for k, v := range p.comps {
		out[k] = v
	}
	return out
}

// Config implements pipelines.Pipeline.
func (p *Pipeline) Config() map[string]any {
	out := make(map[string]any, len(p.cfg)+1)
	for k, v := range p.cfg {
		out[k] = v
	}
	out["_class_name"] = p.class
	return out
}

// Generate implements pipelines.Pipeline.
func (p *Pipeline) Generate(ctx context.Context, r pipelines.Request) (out *pipelines.Output, err error) {
	defer pipelines.Recover(&err)
	start := time.Now()
	plan, err := p.plan(ctx, r)
	if err != nil {
		return nil, err
	}
	plan.EncodeTime = time.Since(start)
	return p.core.Run(ctx, plan)
}

func (p *Pipeline) plan(ctx context.Context, r pipelines.Request) (*pipelines.Plan, error) {
	task := p.core.Task
	sample := p.core.DefaultSampleSize()
	r = pipelines.ApplyDefaults(r, task, pipelines.Defaults{Guidance: 7.5, Strength: map[pipelines.Task]float64{pipelines.Image2Image: 0.8, pipelines.Inpainting: 1.0}})
	if err := pipelines.Validate(r, task); err != nil {
		return nil, err
	}
	w, h := r.Width, r.Height
	switch task {
	case pipelines.Image2Image:
		// Like diffusers, img2img works at the input image's size.
		w, h = p.core.Proc.DefaultSize(r.Image, 0, 0)
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
		div = p.core.Proc.VAEScaleFactor
	}
	if task != pipelines.Image2Image && (h%div != 0 || w%div != 0) {
		return nil, fmt.Errorf("`height` and `width` have to be divisible by 8 but are %d and %d.", h, w)
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
