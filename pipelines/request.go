package pipelines

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// As returns comps[name] as a T, or a clear error naming the component.
// An absent component gives T's zero value and no error (the signature
// check has already run).
func As[T any](class, name string, comps map[string]any) (T, error) {
	var zero T
	c, ok := comps[name]
	if !ok || c == nil {
		return zero, nil
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%s: component %s is a %T, want %T", class, name, c, zero)
	}
	return t, nil
}

// Recover turns a panic inside a pipeline call into an error, so that no
// panic crosses the public API.
func Recover(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
	}
}

// Defaults are a family's call defaults.
type Defaults struct {
	Steps    int
	Guidance float64
	Strength map[Task]float64
}

// ApplyDefaults fills the zero fields of r with the family's defaults
// (diffusers': 50 steps, one image per prompt).
func ApplyDefaults(r Request, task Task, d Defaults) Request {
	if r.NumInferenceSteps == 0 {
		r.NumInferenceSteps = 50
		if d.Steps > 0 {
			r.NumInferenceSteps = d.Steps
		}
	}
	if r.NumImagesPerPrompt == 0 {
		r.NumImagesPerPrompt = 1
	}
	if r.GuidanceScale == 0 {
		r.GuidanceScale = d.Guidance
	}
	if r.Strength == 0 {
		r.Strength = d.Strength[task]
	}
	return r
}

// ErrInvalidRequest is wrapped by every request validation error.
var ErrInvalidRequest = errors.New("invalid request")

type invalid string

// InvalidRequest returns a request error (errors.Is(err, ErrInvalidRequest)).
func InvalidRequest(format string, args ...any) error {
	return invalid(fmt.Sprintf(format, args...))
}

func (e invalid) Error() string        { return string(e) }
func (e invalid) Is(target error) bool { return target == ErrInvalidRequest }

// Validate checks a request (defaults applied) with diffusers' error texts.
func Validate(r Request, task Task) error {
	if r.Prompt == "" {
		return invalid("Provide either `prompt` or `prompt_embeds`. Cannot leave both `prompt` and `prompt_embeds` undefined.")
	}
	if r.NumInferenceSteps < 1 && len(r.Timesteps) == 0 && len(r.Sigmas) == 0 {
		return invalid(fmt.Sprintf("`num_inference_steps` has to be a positive integer but is %d", r.NumInferenceSteps))
	}
	if len(r.Timesteps) > 0 && len(r.Sigmas) > 0 {
		return invalid("Only one of `timesteps` or `sigmas` can be passed. Please choose one to set custom values")
	}
	if r.NumImagesPerPrompt < 1 {
		return invalid(fmt.Sprintf("`num_images_per_prompt` has to be a positive integer but is %d", r.NumImagesPerPrompt))
	}
	if r.Width < 0 || r.Height < 0 {
		return invalid(fmt.Sprintf("`height` and `width` have to be positive but are %d and %d.", r.Height, r.Width))
	}
	if r.ClipSkip < 0 {
		return invalid(fmt.Sprintf("`clip_skip` has to be a non-negative integer but is %d", r.ClipSkip))
	}
	if r.OutputType != "" && r.OutputType != "pil" && r.OutputType != "latent" {
		return invalid(fmt.Sprintf("output_type %q is not supported: use \"pil\" or \"latent\"", r.OutputType))
	}
	if task == Text2Image {
		return nil
	}
	if r.Strength < 0 || r.Strength > 1 {
		return invalid(fmt.Sprintf("The value of strength should in [0.0, 1.0] but is %v", r.Strength))
	}
	if r.Image == nil && !(task == Image2Image && r.Latents != nil) {
		return invalid("`image` input cannot be undefined.")
	}
	if task == Inpainting {
		if r.MaskImage == nil {
			return invalid("`mask_image` input cannot be undefined.")
		}
		ib, mb := r.Image.Bounds(), r.MaskImage.Bounds()
		if ib.Dx() != mb.Dx() || ib.Dy() != mb.Dy() {
			return invalid(fmt.Sprintf("The mask and image should be the same size! mask_image is %dx%d, image is %dx%d.", mb.Dx(), mb.Dy(), ib.Dx(), ib.Dy()))
		}
	}
	if r.PaddingMaskCrop < 0 {
		return invalid(fmt.Sprintf("`padding_mask_crop` has to be a non-negative integer but is %d", r.PaddingMaskCrop))
	}
	if r.PaddingMaskCrop > 0 && r.OutputType == "latent" {
		return invalid("The output type should be PIL when inpainting mask crop, but is latent.")
	}
	return nil
}
