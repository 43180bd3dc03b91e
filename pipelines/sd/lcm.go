package sd

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// LCMFamily is the AutoPipeline family name of latent consistency models
// (SD 1.x/2.x UNets distilled with a guidance embedding, e.g.
// SimianLuo/LCM_Dreamshaper_v7). It has no inpainting class.
const LCMFamily = "lcm"

// The diffusers class names of the latent consistency pipelines.
const (
	LCMText2ImageClass  = "LatentConsistencyModelPipeline"
	LCMImage2ImageClass = "LatentConsistencyModelImg2ImgPipeline"
)

// lcmDefaults are diffusers' __call__ defaults of the LCM classes.
var lcmDefaults = engine.DefaultsTable{
	engine.Text2Image:  {Steps: 4, Guidance: 8.5, SizeMultiple: 8},
	engine.Image2Image: {Steps: 4, Guidance: 8.5, Strength: 0.8},
}

func init() {
	engine.RegisterFamily(LCMFamily, [3]string{LCMText2ImageClass, LCMImage2ImageClass, ""},
		func(c engine.ClassInfo) pipelines.Class { return lcmClass{c} })
}

// lcmClass is one of the LCM family's pipeline classes.
type lcmClass struct{ engine.ClassInfo }

func (lcmClass) Signature() pipelines.Signature { return signature }

// New builds a latent consistency pipeline; its UNet must take the
// guidance embedding (time_cond_proj_dim).
func (c lcmClass) New(comps pipelines.Components, cfg map[string]any) (pipelines.Pipeline, error) {
	s := engine.Spec{Class: c.Class, Task: c.Task, Signature: signature, Defaults: lcmDefaults[c.Task],
		Traits: engine.Traits{ConsistencySchedule: true}}
	p, err := newPipeline(s, comps, cfg)
	if err != nil {
		return nil, err
	}
	dim, err := p.Core.UNet.Config().CondProjDim()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Class, err)
	}
	if dim == 0 {
		return nil, fmt.Errorf("%s: the UNet has no time_cond_proj_dim (the guidance embedding of latent consistency models): %w", c.Class, pipelines.ErrUnsupported)
	}
	return &LCMPipeline{Pipeline: p, condDim: dim}, nil
}

// LCMPipeline is a latent consistency pipeline (text-to-image or
// image-to-image): no classifier-free guidance batch; the guidance scale
// enters the UNet as an embedding.
type LCMPipeline struct {
	*Pipeline
	condDim int
}

// Generate implements pipelines.Pipeline.
func (p *LCMPipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Base.Generate(ctx, r, lcmEncoder{p})
}

// lcmEncoder is the LCM classes' part of the flow.
type lcmEncoder struct{ p *LCMPipeline }

// Encode returns the prompt's hidden state and, as the UNet's
// timestep_cond, diffusers' get_guidance_scale_embedding of
// guidance_scale - 1 for every image.
func (e lcmEncoder) Encode(ctx context.Context, r pipelines.Request, _ engine.Size) (engine.Conditioning, error) {
	p := e.p
	pos, err := engine.EncodeText(ctx, p.tok, p.enc, r.Prompt, r.ClipSkip, true)
	if err != nil {
		return engine.Conditioning{}, err
	}
	n := r.NumImagesPerPrompt
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(engine.GuidanceScale(r) - 1)
	}
	cond, err := unet.GuidanceEmbedding(w, p.condDim)
	if err != nil {
		return engine.Conditioning{}, err
	}
	embeds := tensor.RepeatInterleave(pos.Hidden, n)
	return engine.Conditioning{Embeds: embeds, Added: &unet.AddedCond{TimestepCond: cond}}, nil
}

// CheckRequest rejects what diffusers' LCM pipelines do not take: a
// negative prompt, guidance rescale, eta and the SDXL fields.
func (lcmEncoder) CheckRequest(r pipelines.Request) error {
	switch {
	case r.NegativePrompt != "":
		return pipelines.InvalidRequest("latent consistency pipelines take no negative_prompt (guidance is an embedding, not a second batch)")
	case r.GuidanceRescale != 0 || r.Eta != 0:
		return pipelines.InvalidRequest("latent consistency pipelines take no guidance_rescale or eta")
	case len(r.Sigmas) > 0:
		return pipelines.InvalidRequest("latent consistency pipelines take timesteps, not sigmas")
	}
	return encoder{}.CheckRequest(r)
}
