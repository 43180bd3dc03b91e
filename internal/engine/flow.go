package engine

import (
	"context"
	"image"
	"time"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// Core is what every Stable Diffusion family pipeline shares: the UNet,
// the VAE, the scheduler, the safety checker and the image processors, and
// the generation flow.
type Core struct {
	Task      Task
	Defaults  Defaults
	Traits    Traits
	UNet      *unet.Model
	VAE       vae.Model // AutoencoderKL or AutoencoderTiny
	Scheduler schedulers.Scheduler
	Safety    SafetyChecker // nil when the pipeline has none
	Proc      ImageProcessor
}

// Traits are family behaviours of the shared flow.
type Traits struct {
	// DenoisingRange enables SDXL's denoising_start / denoising_end.
	DenoisingRange bool
	// LatentsStats applies the VAE's latents_mean / latents_std when
	// present, in image-to-image encoding and in decoding (SDXL does, SD
	// does not).
	LatentsStats bool
	// ConsistencySchedule gives the scheduler the image-to-image strength
	// and original_inference_steps when it makes its timesteps, instead of
	// cutting them afterwards (the latent consistency pipelines).
	ConsistencySchedule bool
}

// Size is the image size a generation runs at.
type Size struct{ Width, Height int }

// Conditioning is what a family's prompt encoding produces.
type Conditioning struct {
	Embeds *tensor.Dense // [uncond; cond] when CFG
	Added  *unet.AddedCond
	CFG    bool
}

// Encoder is a family's part of the flow.
type Encoder interface {
	// CheckRequest rejects what the family does not take (defaults
	// applied, common checks passed).
	CheckRequest(r pipelines.Request) error
	// Encode returns the prompt conditioning (step 2).
	Encode(ctx context.Context, r pipelines.Request, size Size) (Conditioning, error)
}

// Generate runs one request, in the steps of diffusers' __call__.
func (c *Core) Generate(ctx context.Context, r pipelines.Request, enc Encoder) (*pipelines.Output, error) {
	start := time.Now()
	// 1. Check inputs; fill in defaults and the image size; check the
	// request fits the limits before anything is allocated for it.
	if err := c.checkUntrusted(ctx, r); err != nil {
		return nil, err
	}
	r, size, err := c.checkInputs(r, enc)
	if err != nil {
		return nil, err
	}
	if err := c.checkBudget(ctx, r, size); err != nil {
		return nil, err
	}
	// 2. Encode the prompt.
	cond, err := enc.Encode(ctx, r, size)
	if err != nil {
		return nil, err
	}
	encoded := time.Now()
	// 3. Prepare the timesteps.
	sched, err := c.timesteps(r)
	if err != nil {
		return nil, err
	}
	// 4. Prepare the latents (and the task's loop hooks).
	g := rng.NewInt64(r.Seed)
	prep, err := c.prepareLatents(ctx, r, size, sched, g, cond.CFG)
	if err != nil {
		return nil, err
	}
	prepared := time.Now()
	// 5. Denoise.
	latents, err := c.loop(r, cond, sched, g, prep).Run(ctx, prep.latents)
	if err == nil {
		err = checkFinite("denoised latents", latents)
	}
	if err != nil {
		return nil, err
	}
	denoised := time.Now()
	// 6. Decode, run the safety checker, postprocess.
	out, err := c.finish(ctx, r, latents, prep.post)
	if err != nil {
		return nil, err
	}
	out.Timings = pipelines.Timings{Encode: encoded.Sub(start), Prepare: prepared.Sub(encoded),
		Denoise: denoised.Sub(prepared), Decode: time.Since(denoised)}
	out.Request = r
	out.Request.Callback = nil
	return out, nil
}

// prepared is the outcome of latent preparation: the initial latents and
// the task's hooks into the loop and the output.
type prepared struct {
	latents *tensor.Dense
	// extra extends the scaled model input (9-channel inpainting).
	extra func(x *tensor.Dense) *tensor.Dense
	// afterStep adjusts the latents after a step (4-channel inpainting).
	afterStep func(i int, latents *tensor.Dense) (*tensor.Dense, error)
	// post finishes the 8-bit images (padding_mask_crop's overlay).
	post func([]image.Image)
}

func (c *Core) loop(r pipelines.Request, cond Conditioning, s schedule, g *rng.Generator, p prepared) *Loop {
	return &Loop{
		UNet: c.UNet, State: s.state, Timesteps: s.timesteps, Embeds: cond.Embeds, Added: cond.Added,
		CFG: cond.CFG, Guidance: GuidanceScale(r), Rescale: r.GuidanceRescale, Gen: g,
		Extra: p.extra, AfterStep: p.afterStep, Callback: r.Callback,
	}
}

// finish returns the latents (output type "latent") or the decoded,
// safety-checked images.
func (c *Core) finish(ctx context.Context, r pipelines.Request, latents *tensor.Dense, post func([]image.Image)) (*pipelines.Output, error) {
	if r.OutputType == "latent" {
		return &pipelines.Output{Latents: latents}, nil
	}
	out, err := c.decode(ctx, latents)
	if err != nil {
		return nil, err
	}
	if post != nil {
		post(out.Images)
	}
	return out, nil
}
