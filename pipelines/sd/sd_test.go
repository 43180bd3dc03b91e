package sd_test

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var tiny = testutil.Testdata("tiny-sd")

func load(t *testing.T, task autopipeline.Task) autopipeline.Pipeline {
	t.Helper()
	p, err := task.FromPretrained(context.Background(), tiny, autopipeline.WithComponent("safety_checker", nil),
		autopipeline.WithConfig("requires_safety_checker", false))
	require.NoError(t, err)
	return p
}

func picture(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(3 * x), uint8(5 * y), 90, 255})
		}
	}
	return img
}

// The defaults each class fills in are diffusers' __call__ defaults.
func TestDefaultsPerTask(t *testing.T) {
	ctx := context.Background()
	img := picture(64, 64)
	cases := []struct {
		task     autopipeline.Task
		req      autopipeline.Request
		guidance float64
		strength float64
	}{
		{autopipeline.Text2Image, autopipeline.Request{}, 7.5, 0},
		{autopipeline.Image2Image, autopipeline.Request{Image: img}, 7.5, 0.8},
		{autopipeline.Inpainting, autopipeline.Request{Image: img, MaskImage: img}, 7.5, 1.0},
	}
	for _, c := range cases {
		t.Run(c.task.String(), func(t *testing.T) {
			r := c.req
			r.Prompt, r.NumInferenceSteps, r.OutputType = "a red circle", 2, "latent"
			out, err := load(t, c.task).Generate(ctx, r)
			require.NoError(t, err)
			assert.Equal(t, c.guidance, out.Request.GuidanceScale)
			assert.Equal(t, c.strength, out.Request.Strength)
			assert.Equal(t, 1, out.Request.NumImagesPerPrompt)
			assert.Equal(t, 2, out.Request.NumInferenceSteps)
			assert.Equal(t, 0.0, out.Request.AestheticScore, "SD takes no aesthetic score")
		})
	}
	out, err := load(t, autopipeline.Text2Image).Generate(ctx, autopipeline.Request{Prompt: "x", OutputType: "latent"})
	require.NoError(t, err)
	assert.Equal(t, 50, out.Request.NumInferenceSteps)
}

// The image size: the UNet's sample size by default, the input's for
// image-to-image (rounded down to the VAE scale factor), checked for
// text-to-image.
func TestSizeResolution(t *testing.T) {
	ctx := context.Background()
	t2i := load(t, autopipeline.Text2Image)
	out, err := t2i.Generate(ctx, autopipeline.Request{Prompt: "x", NumInferenceSteps: 1, OutputType: "latent"})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 32, 32}, tensor.Shape(out.Latents), "sample_size 32 x VAE scale factor 2 = 64 px")

	out, err = t2i.Generate(ctx, autopipeline.Request{Prompt: "x", NumInferenceSteps: 1, OutputType: "latent", Width: 48, Height: 32, NumImagesPerPrompt: 2})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 4, 16, 24}, tensor.Shape(out.Latents))

	_, err = t2i.Generate(ctx, autopipeline.Request{Prompt: "x", NumInferenceSteps: 1, Width: 50})
	require.ErrorIs(t, err, autopipeline.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "`height` and `width` have to be divisible by 8 but are 64 and 50.")

	i2i := load(t, autopipeline.Image2Image)
	out, err = i2i.Generate(ctx, autopipeline.Request{Prompt: "x", Image: picture(37, 22), NumInferenceSteps: 2, Strength: 1, OutputType: "latent"})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 11, 18}, tensor.Shape(out.Latents), "36x22 px at scale factor 2")

	// Handed-over latents without an image run at their own size.
	out, err = i2i.Generate(ctx, autopipeline.Request{Prompt: "x", Latents: tensor.New(1, 4, 6, 10), NumInferenceSteps: 2, Strength: 1})
	require.NoError(t, err)
	assert.Equal(t, image.Pt(20, 12), out.Images[0].Bounds().Size())
}

// SD pipelines refuse what only SDXL takes, as diffusers' SD classes
// refuse unexpected arguments.
func TestRefusesSDXLFields(t *testing.T) {
	p := load(t, autopipeline.Text2Image)
	for name, c := range map[string]struct {
		r    autopipeline.Request
		want string
	}{
		"prompt_2":         {autopipeline.Request{Prompt2: "y"}, "prompt_2 and negative_prompt_2 are only used by Stable Diffusion XL"},
		"denoising_end":    {autopipeline.Request{DenoisingEnd: 0.5}, "denoising_start and denoising_end are only used"},
		"original_size":    {autopipeline.Request{OriginalSize: [2]int{64, 64}}, "size, crop and aesthetic conditioning are only used"},
		"aesthetic_score":  {autopipeline.Request{AestheticScore: 5}, "size, crop and aesthetic conditioning are only used"},
		"negative crop":    {autopipeline.Request{NegativeCropsCoordsTopLeft: [2]int{0, 1}}, "size, crop and aesthetic conditioning are only used"},
		"negative prompt2": {autopipeline.Request{NegativePrompt2: "z"}, "prompt_2 and negative_prompt_2"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.r
			r.Prompt, r.NumInferenceSteps = "x", 1
			_, err := p.Generate(context.Background(), r)
			require.ErrorIs(t, err, autopipeline.ErrInvalidRequest)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// NoGuidance runs without classifier-free guidance: the same image as any
// scale <= 1, unlike the default scale.
func TestNoGuidance(t *testing.T) {
	ctx := context.Background()
	p := load(t, autopipeline.Text2Image)
	run := func(g float64) []float32 {
		out, err := p.Generate(ctx, autopipeline.Request{Prompt: "a blue square", NumInferenceSteps: 2, Seed: 3, GuidanceScale: g, OutputType: "latent"})
		require.NoError(t, err)
		return tensor.F32(out.Latents)
	}
	off := run(autopipeline.NoGuidance)
	assert.Equal(t, run(1), off)
	assert.NotEqual(t, run(0), off, "zero means the default guidance 7.5")
}
