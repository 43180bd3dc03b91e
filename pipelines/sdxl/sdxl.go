package sdxl

import (
	"context"
	"fmt"
	"time"

	"github.com/goautopipe/autopipeline/models/clip"
	"github.com/goautopipe/autopipeline/models/unet"
	"github.com/goautopipe/autopipeline/models/vae"
	"github.com/goautopipe/autopipeline/pipelines"
	"github.com/goautopipe/autopipeline/schedulers"
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
	class      string
	comps      map[string]any
	cfg        map[string]any
	core       *pipelines.Core
	tok, tok2  *clip.Tokenizer
	enc, enc2  *clip.TextModel
	forceZeros bool
	aesthetics bool
}

func (c ctor) New(comps map[string]any, cfg map[string]any) (pipelines.Pipeline, error) {
	sig := c.Signature()
	if err := pipelines.CheckModules(c.class, sig, comps); err != nil {
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
	p.forceZeros, _ = cfg["force_zeros_for_empty_prompt"].(bool)
	p.aesthetics, _ = cfg["requires_aesthetics_score"].(bool)
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
