package engine

import (
	"image"
	"math"
	"testing"

	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	small := image.NewNRGBA(image.Rect(0, 0, 4, 8))
	ok := pipelines.Request{Prompt: "a cat", NumInferenceSteps: 2, NumImagesPerPrompt: 1}
	with := func(f func(*pipelines.Request)) pipelines.Request { r := ok; f(&r); return r }
	cases := []struct {
		name string
		task Task
		r    pipelines.Request
		want string // "" means valid
	}{
		{"valid", Text2Image, ok, ""},
		{"no prompt", Text2Image, with(func(r *pipelines.Request) { r.Prompt = "" }), "Provide either `prompt` or `prompt_embeds`"},
		{"no steps", Text2Image, with(func(r *pipelines.Request) { r.NumInferenceSteps = 0 }), "`num_inference_steps` has to be a positive integer but is 0"},
		{"custom timesteps need no steps", Text2Image, with(func(r *pipelines.Request) { r.NumInferenceSteps = 0; r.Timesteps = []float64{999, 500} }), ""},
		{"timesteps and sigmas", Text2Image, with(func(r *pipelines.Request) { r.Timesteps = []float64{1}; r.Sigmas = []float64{1} }), "Only one of `timesteps` or `sigmas`"},
		{"infinite sigma", Text2Image, with(func(r *pipelines.Request) { r.Sigmas = []float64{math.Inf(1), 1} }), "finite and non-negative"},
		{"negative timestep", Text2Image, with(func(r *pipelines.Request) { r.Timesteps = []float64{-1} }), "finite and non-negative"},
		{"images per prompt", Text2Image, with(func(r *pipelines.Request) { r.NumImagesPerPrompt = -1 }), "`num_images_per_prompt` has to be a positive integer but is -1"},
		{"negative size", Text2Image, with(func(r *pipelines.Request) { r.Width = -8 }), "`height` and `width` have to be positive"},
		{"clip skip", Text2Image, with(func(r *pipelines.Request) { r.ClipSkip = -1 }), "`clip_skip` has to be a non-negative integer"},
		{"output type", Text2Image, with(func(r *pipelines.Request) { r.OutputType = "np" }), `output_type "np" is not supported`},
		{"NaN strength", Image2Image, with(func(r *pipelines.Request) { r.Image = img; r.Strength = math.NaN() }), "`strength` has to be a finite number but is NaN"},
		{"infinite guidance", Text2Image, with(func(r *pipelines.Request) { r.GuidanceScale = math.Inf(1) }), "`guidance_scale` has to be a finite number"},
		{"negative guidance", Text2Image, with(func(r *pipelines.Request) { r.GuidanceScale = -2 }), "`guidance_scale` has to be >= 0 (or NoGuidance)"},
		{"no guidance", Text2Image, with(func(r *pipelines.Request) { r.GuidanceScale = pipelines.NoGuidance }), ""},
		{"strength above one", Image2Image, with(func(r *pipelines.Request) { r.Image = img; r.Strength = 1.5 }), "The value of strength should in [0.0, 1.0] but is 1.5"},
		{"img2img without image", Image2Image, ok, "`image` input cannot be undefined."},
		{"img2img from latents", Image2Image, with(func(r *pipelines.Request) { r.Latents = tensor.New(1, 4, 2, 2) }), ""},
		{"inpaint without mask", Inpainting, with(func(r *pipelines.Request) { r.Image = img }), "`mask_image` input cannot be undefined."},
		{"inpaint size mismatch", Inpainting, with(func(r *pipelines.Request) { r.Image = img; r.MaskImage = small }), "The mask and image should be the same size! mask_image is 4x8, image is 8x8."},
		{"mask crop with latents output", Inpainting, with(func(r *pipelines.Request) {
			r.Image, r.MaskImage, r.PaddingMaskCrop, r.OutputType = img, img, 4, "latent"
		}), "The output type should be PIL when inpainting mask crop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.r, c.task)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, pipelines.ErrInvalidRequest)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestDefaultsApply(t *testing.T) {
	d := Defaults{Steps: 50, Guidance: 7.5, Strength: 0.8, AestheticScore: 6, NegativeAestheticScore: 2.5}
	r := d.apply(pipelines.Request{Prompt: "x"})
	assert.Equal(t, 50, r.NumInferenceSteps)
	assert.Equal(t, 1, r.NumImagesPerPrompt)
	assert.Equal(t, 7.5, r.GuidanceScale)
	assert.Equal(t, 0.8, r.Strength)
	assert.Equal(t, 6.0, r.AestheticScore)
	assert.Equal(t, 2.5, r.NegativeAestheticScore)

	// Given values stay; NoGuidance stays as asked and reads as 0.
	r = d.apply(pipelines.Request{NumInferenceSteps: 4, GuidanceScale: pipelines.NoGuidance, Strength: 0.3, NumImagesPerPrompt: 2})
	assert.Equal(t, 4, r.NumInferenceSteps)
	assert.Equal(t, 2, r.NumImagesPerPrompt)
	assert.Equal(t, 0.3, r.Strength)
	assert.Equal(t, pipelines.NoGuidance, r.GuidanceScale)
	assert.Equal(t, 0.0, GuidanceScale(r))
	assert.False(t, DoCFG(r))
	assert.False(t, DoCFG(pipelines.Request{GuidanceScale: 1}))
	assert.True(t, DoCFG(pipelines.Request{GuidanceScale: 1.5}))
}
