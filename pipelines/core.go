package pipelines

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// SafetyChecker flags images; flagged images are returned black.
type SafetyChecker interface {
	// Check takes the decoded images as 8-bit images and reports, per
	// image, whether it is flagged.
	Check(ctx context.Context, images []image.Image) ([]bool, error)
}

// Core is what every Stable Diffusion family pipeline shares: the UNet,
// the VAE, the scheduler, the safety checker and the image processors, and
// the generation flow (latent preparation per task, the denoising loop,
// decoding and postprocessing).
type Core struct {
	Task      Task
	UNet      *unet.Model
	VAE       *vae.AutoencoderKL
	Scheduler schedulers.Scheduler
	Safety    SafetyChecker // nil when the pipeline has none
	Proc      ImageProcessor
}

// Conditioning is what a family's prompt encoding produces.
type Conditioning struct {
	Embeds *tensor.Dense // [uncond; cond] when CFG
	Added  *unet.AddedCond
	CFG    bool
}

// Plan is one resolved generation: the request with every default
// applied, and the conditioning.
type Plan struct {
	Req    Request
	Cond   Conditioning
	Width  int
	Height int
	// EncodeTime is how long prompt encoding took.
	EncodeTime time.Duration
	// UseDenoisingRange enables SDXL's denoising_start / denoising_end.
	UseDenoisingRange bool
	// LatentsStats applies the VAE's latents_mean / latents_std when
	// present, in image-to-image encoding and in decoding (SDXL does, SD
	// does not).
	LatentsStats bool
	// post, when set, finishes the 8-bit images (padding_mask_crop's
	// overlay on the original image).
	post func([]image.Image)
}

// VAEScaleFactor returns 2^(len(block_out_channels)-1) of vae.
func VAEScaleFactor(v *vae.AutoencoderKL) int {
	return 1 << (len(v.Config().BlockOutChannels) - 1)
}

func (c *Core) numTrain() int {
	if v, ok := c.Scheduler.Config()["num_train_timesteps"].(float64); ok {
		return int(v)
	}
	if v, ok := c.Scheduler.Config()["num_train_timesteps"].(int); ok {
		return v
	}
	return 1000
}

// Run executes a plan.
func (c *Core) Run(ctx context.Context, p *Plan) (*Output, error) {
	r := p.Req
	g := rng.NewInt64(r.Seed)
	var sopts []schedulers.Option
	if len(r.Timesteps) > 0 {
		sopts = append(sopts, schedulers.WithTimesteps(r.Timesteps))
	}
	if len(r.Sigmas) > 0 {
		sopts = append(sopts, schedulers.WithSigmas(r.Sigmas))
	}
	if r.Eta != 0 {
		sopts = append(sopts, schedulers.WithEta(r.Eta))
	}
	steps := r.NumInferenceSteps
	if len(r.Timesteps) > 0 || len(r.Sigmas) > 0 {
		steps = 0
	}
	st, err := c.Scheduler.NewState(steps, sopts...)
	if err != nil {
		return nil, err
	}
	ts := st.Timesteps()
	steps = st.NumInferenceSteps()
	numTrain := c.numTrain()

	denoisingStart := p.UseDenoisingRange && r.DenoisingStart > 0 && r.DenoisingStart < 1
	if c.Task != Text2Image {
		if denoisingStart {
			ts, steps = schedulers.DenoisingStartCut(st, numTrain, r.DenoisingStart)
		} else {
			ts, steps = schedulers.StrengthCut(st, steps, r.Strength)
		}
		if steps < 1 || len(ts) == 0 {
			return nil, InvalidRequest("After adjusting the num_inference_steps by strength parameter: %v, the number of pipeline steps is %d which is < 1 and not appropriate for this pipeline.", r.Strength, steps)
		}
	}
	if p.UseDenoisingRange && r.DenoisingEnd > 0 && r.DenoisingEnd < 1 {
		if denoisingStart && r.DenoisingStart >= r.DenoisingEnd {
			return nil, InvalidRequest("`denoising_start`: %v cannot be larger than or equal to `denoising_end`: %v  when using type float.", r.DenoisingStart, r.DenoisingEnd)
		}
		ts = schedulers.DenoisingEndCut(ts, numTrain, r.DenoisingEnd)
	}

	batch := r.NumImagesPerPrompt
	f := c.Proc.VAEScaleFactor
	lh, lw := p.Height/f, p.Width/f

	loop := &Loop{
		UNet: c.UNet, State: st, Timesteps: ts, Embeds: p.Cond.Embeds, Added: p.Cond.Added,
		CFG: p.Cond.CFG, Guidance: r.GuidanceScale, Rescale: r.GuidanceRescale, Gen: g, Callback: r.Callback,
	}
	var latents *tensor.Dense
	start := time.Now()
	switch c.Task {
	case Text2Image:
		ch := c.UNet.Config().InChannels
		if r.Latents != nil {
			latents = tensor.Clone(r.Latents)
		} else {
			latents = g.Randn(batch, ch, lh, lw)
		}
		latents = tensor.Scale(latents, float32(st.InitNoiseSigma()))
	case Image2Image:
		var init *tensor.Dense
		if r.Image == nil && r.Latents != nil {
			// Latents handed over (e.g. from an SDXL base run) are the
			// already-encoded image.
			init = tensor.Clone(r.Latents)
		} else {
			img, err := c.Proc.Preprocess(r.Image, 0, 0)
			if err != nil {
				return nil, err
			}
			if init, err = c.encodeImage(ctx, img, g, p.LatentsStats); err != nil {
				return nil, err
			}
		}
		init = repeatBatch(init, batch)
		if denoisingStart {
			latents = init
		} else {
			sh := init.Shape()
			noise := g.Randn(sh...)
			if latents, err = st.AddNoise(init, noise, ts[0]); err != nil {
				return nil, err
			}
		}
	case Inpainting:
		latents, err = c.prepareInpaint(ctx, p, st, ts, g, loop, denoisingStart)
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown task %v", c.Task)
	}

	prepared := time.Now()
	latents, err = loop.Run(ctx, latents)
	if err != nil {
		return nil, err
	}
	denoised := time.Now()
	tm := Timings{Encode: p.EncodeTime, Prepare: prepared.Sub(start), Denoise: denoised.Sub(prepared)}
	if r.OutputType == "latent" {
		return &Output{Latents: latents, Timings: tm}, nil
	}
	out, err := c.decode(ctx, latents, p.LatentsStats)
	if err != nil {
		return nil, err
	}
	if p.post != nil {
		p.post(out.Images)
	}
	tm.Decode = time.Since(denoised)
	out.Timings = tm
	return out, nil
}

// encodeImage encodes [-1,1] pixels to scaled latents, sampling the VAE's
// posterior with g (diffusers' retrieve_latents(..., generator)).
func (c *Core) encodeImage(ctx context.Context, img *tensor.Dense, g *rng.Generator, stats bool) (*tensor.Dense, error) {
	dist, err := c.VAE.Encode(ctx, img)
	if err != nil {
		return nil, err
	}
	z := dist.Sample(g)
	cfg := c.VAE.Config()
	sf := float32(cfg.ScalingFactor)
	if stats && len(cfg.LatentsMean) > 0 && len(cfg.LatentsStd) > 0 {
		d := tensor.F32(z)
		ch := z.Shape()[1]
		plane := len(d) / (z.Shape()[0] * ch)
		for i := range d {
			k := (i / plane) % ch
			d[i] = (d[i] - float32(cfg.LatentsMean[k])) * sf / float32(cfg.LatentsStd[k])
		}
		return z, nil
	}
	return tensor.Scale(z, sf), nil
}

// decode turns latents into images, runs the safety checker and
// postprocesses.
func (c *Core) decode(ctx context.Context, latents *tensor.Dense, stats bool) (*Output, error) {
	cfg := c.VAE.Config()
	z := tensor.Clone(latents)
	d := tensor.F32(z)
	sf := float32(cfg.ScalingFactor)
	if stats && len(cfg.LatentsMean) > 0 && len(cfg.LatentsStd) > 0 {
		ch := z.Shape()[1]
		plane := len(d) / (z.Shape()[0] * ch)
		for i := range d {
			k := (i / plane) % ch
			d[i] = d[i]*float32(cfg.LatentsStd[k])/sf + float32(cfg.LatentsMean[k])
		}
	} else {
		for i := range d {
			d[i] /= sf
		}
	}
	img, err := c.VAE.Decode(ctx, z)
	if err != nil {
		return nil, err
	}
	out := &Output{}
	denorm := make([]bool, img.Shape()[0])
	for i := range denorm {
		denorm[i] = true
	}
	if c.Safety != nil {
		flags, err := c.Safety.Check(ctx, c.Proc.Postprocess(img, nil))
		if err != nil {
			return nil, fmt.Errorf("safety checker: %w", err)
		}
		out.NSFWContentDetected = flags
		per := len(tensor.F32(img)) / len(flags)
		for i, f := range flags {
			if f {
				zero := tensor.F32(img)[i*per : (i+1)*per]
				for j := range zero {
					zero[j] = 0
				}
				denorm[i] = false
			}
		}
	}
	out.Pixels = Denormalize(img, denorm)
	out.Images = c.Proc.Postprocess(img, denorm)
	return out, nil
}

// Denormalize maps [-1,1] pixels to [0,1] (clamped) for the images whose
// flag is set, as diffusers' postprocess with output_type "pt" does.
func Denormalize(img *tensor.Dense, denorm []bool) *tensor.Dense {
	out := tensor.Clone(img)
	d := tensor.F32(out)
	per := len(d) / len(denorm)
	for b, on := range denorm {
		if !on {
			continue
		}
		s := d[b*per : (b+1)*per]
		for i, v := range s {
			v = v*0.5 + 0.5
			if v < 0 {
				v = 0
			} else if v > 1 {
				v = 1
			}
			s[i] = v
		}
	}
	return out
}

// repeatBatch repeats a batch of 1 to n (or returns x when already n).
func repeatBatch(x *tensor.Dense, n int) *tensor.Dense {
	if x.Shape()[0] == n {
		return x
	}
	parts := make([]*tensor.Dense, n)
	for i := range parts {
		parts[i] = x
	}
	return tensor.Concat(0, parts...)
}

// DefaultSampleSize is the UNet's sample_size (the first value when it is
// a list) times the VAE scale factor: the default image size.
func (c *Core) DefaultSampleSize() int {
	s := c.UNet.Config().SampleSize
	if len(s) == 0 {
		return 64 * c.Proc.VAEScaleFactor
	}
	return s[0] * c.Proc.VAEScaleFactor
}
