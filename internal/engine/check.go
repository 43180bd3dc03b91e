package engine

import (
	"fmt"

	"github.com/goautopipe/diffusers/pipelines"
)

var invalid = pipelines.InvalidRequest

// Validate checks a request (defaults applied) for a task, with diffusers'
// error texts.
func Validate(r pipelines.Request, task Task) error {
	for _, check := range []func(pipelines.Request) error{checkPrompt, checkCounts, checkNumbers, checkSchedule} {
		if err := check(r); err != nil {
			return err
		}
	}
	if task == Text2Image {
		return nil
	}
	return checkImages(r, task)
}

func checkPrompt(r pipelines.Request) error {
	if r.Prompt == "" {
		return invalid("Provide either `prompt` or `prompt_embeds`. Cannot leave both `prompt` and `prompt_embeds` undefined.")
	}
	if r.OutputType != "" && r.OutputType != "pil" && r.OutputType != "latent" {
		return invalid("output_type %q is not supported: use \"pil\" or \"latent\"", r.OutputType)
	}
	return CheckPromptSyntax(r)
}

func checkCounts(r pipelines.Request) error {
	switch {
	case r.NumImagesPerPrompt < 1:
		return invalid("`num_images_per_prompt` has to be a positive integer but is %d", r.NumImagesPerPrompt)
	case r.Width < 0 || r.Height < 0:
		return invalid("`height` and `width` have to be positive but are %d and %d.", r.Height, r.Width)
	case r.ClipSkip < 0:
		return invalid("`clip_skip` has to be a non-negative integer but is %d", r.ClipSkip)
	case r.PaddingMaskCrop < 0:
		return invalid("`padding_mask_crop` has to be a non-negative integer but is %d", r.PaddingMaskCrop)
	}
	return nil
}

// checkNumbers refuses non-finite floats and guidance scales below zero
// other than NoGuidance.
func checkNumbers(r pipelines.Request) error {
	fields := []struct {
		name string
		v    float64
	}{
		{"guidance_scale", r.GuidanceScale}, {"strength", r.Strength}, {"guidance_rescale", r.GuidanceRescale},
		{"eta", r.Eta}, {"aesthetic_score", r.AestheticScore}, {"negative_aesthetic_score", r.NegativeAestheticScore},
		{"denoising_start", r.DenoisingStart}, {"denoising_end", r.DenoisingEnd},
	}
	for _, f := range fields {
		if !finite(f.v) {
			return invalid("`%s` has to be a finite number but is %v", f.name, f.v)
		}
	}
	if r.GuidanceScale < 0 && r.GuidanceScale != pipelines.NoGuidance {
		return invalid("`guidance_scale` has to be >= 0 (or NoGuidance) but is %v", r.GuidanceScale)
	}
	return nil
}

func checkSchedule(r pipelines.Request) error {
	if r.NumInferenceSteps < 1 && len(r.Timesteps) == 0 && len(r.Sigmas) == 0 {
		return invalid("`num_inference_steps` has to be a positive integer but is %d", r.NumInferenceSteps)
	}
	if len(r.Timesteps) > 0 && len(r.Sigmas) > 0 {
		return invalid("Only one of `timesteps` or `sigmas` can be passed. Please choose one to set custom values")
	}
	for _, xs := range [][]float64{r.Timesteps, r.Sigmas} {
		for _, v := range xs {
			if !finite(v) || v < 0 {
				return invalid("custom `timesteps` and `sigmas` have to be finite and non-negative, got %v", v)
			}
		}
	}
	return nil
}

func checkImages(r pipelines.Request, task Task) error {
	if r.Strength < 0 || r.Strength > 1 {
		return invalid("The value of strength should in [0.0, 1.0] but is %v", r.Strength)
	}
	if r.Image == nil && !(task == Image2Image && r.Latents != nil) {
		return invalid("`image` input cannot be undefined.")
	}
	if task != Inpainting {
		return nil
	}
	if r.MaskImage == nil {
		return invalid("`mask_image` input cannot be undefined.")
	}
	ib, mb := r.Image.Bounds(), r.MaskImage.Bounds()
	if ib.Dx() != mb.Dx() || ib.Dy() != mb.Dy() {
		return invalid("The mask and image should be the same size! mask_image is %dx%d, image is %dx%d.", mb.Dx(), mb.Dy(), ib.Dx(), ib.Dy())
	}
	if r.PaddingMaskCrop > 0 && r.OutputType == "latent" {
		return invalid("The output type should be PIL when inpainting mask crop, but is latent.")
	}
	return nil
}

// imageSize resolves the size a request runs at: image-to-image works at
// the input's size (or that of the handed-over latents), the others at the
// requested size or the UNet's default, a multiple of the class's
// SizeMultiple.
func (c *Core) imageSize(r pipelines.Request) (w, h int, err error) {
	f := c.Proc.VAEScaleFactor
	if c.Task == Image2Image {
		if r.Image == nil {
			sh := r.Latents.Shape()
			if len(sh) != 4 {
				return 0, 0, invalid("`latents` must be [batch, channels, height, width], got shape %v", sh)
			}
			return sh[3] * f, sh[2] * f, nil
		}
		w, h = c.Proc.DefaultSize(r.Image, 0, 0)
		return w, h, nil
	}
	w, h = r.Width, r.Height
	if w == 0 {
		w = c.defaultSampleSize()
	}
	if h == 0 {
		h = c.defaultSampleSize()
	}
	m := c.Defaults.SizeMultiple
	if m == 0 {
		m = f
	}
	if h%m != 0 || w%m != 0 {
		return 0, 0, invalid("`height` and `width` have to be divisible by %d but are %d and %d.", m, h, w)
	}
	return w, h, nil
}

// defaultSampleSize is the UNet's sample_size (the first value when it is
// a list) times the VAE scale factor: the default image size.
func (c *Core) defaultSampleSize() int {
	s := c.UNet.Config().SampleSize
	if len(s) == 0 {
		return 64 * c.Proc.VAEScaleFactor
	}
	return s[0] * c.Proc.VAEScaleFactor
}

// checkInputs is step 1 of a generation: defaults, validation, the
// family's own checks and the image size.
func (c *Core) checkInputs(r pipelines.Request, enc Encoder) (pipelines.Request, Size, error) {
	r = c.Defaults.apply(r)
	if err := Validate(r, c.Task); err != nil {
		return r, Size{}, err
	}
	if err := enc.CheckRequest(r); err != nil {
		return r, Size{}, err
	}
	w, h, err := c.imageSize(r)
	if err != nil {
		return r, Size{}, err
	}
	if w <= 0 || h <= 0 {
		return r, Size{}, fmt.Errorf("image size %dx%d is too small", w, h)
	}
	return r, Size{Width: w, Height: h}, nil
}
