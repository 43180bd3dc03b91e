package sdxl_test

import (
	"context"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	base    = testutil.Testdata("tiny-sdxl")
	refiner = testutil.Testdata("tiny-sdxl-refiner")
)

// The request as it ran carries the class's defaults.
func TestRequestDefaults(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, base)
	require.NoError(t, err)
	out, err := t2i.Generate(ctx, autopipeline.Request{Prompt: "a cube", NumInferenceSteps: 1, OutputType: "latent"})
	require.NoError(t, err)
	assert.Equal(t, 5.0, out.Request.GuidanceScale)
	assert.Equal(t, 0.0, out.Request.AestheticScore, "text-to-image takes no aesthetic score")
	assert.Equal(t, []int{1, 4, 32, 32}, tensor.Shape(out.Latents))

	inpaint, err := autopipeline.Inpainting.FromPipe(t2i)
	require.NoError(t, err)
	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	out, err = i2i.Generate(ctx, autopipeline.Request{Prompt: "a cube", Latents: out.Latents, NumInferenceSteps: 4, OutputType: "latent"})
	require.NoError(t, err)
	assert.Equal(t, 0.3, out.Request.Strength)
	assert.Equal(t, 6.0, out.Request.AestheticScore)
	assert.Equal(t, 2.5, out.Request.NegativeAestheticScore)
	assert.Equal(t, "StableDiffusionXLInpaintPipeline", inpaint.ClassName())
}

// The micro-conditioning size is checked against the UNet's
// add_embedding with diffusers' messages (which, as in diffusers, ask to
// enable requires_aesthetics_score when the vector is one entry short).
func TestAddedEmbeddingMismatch(t *testing.T) {
	ctx := context.Background()
	r := autopipeline.Request{Prompt: "a cube", Latents: tensor.New(1, 4, 8, 8), NumInferenceSteps: 4, OutputType: "latent"}

	// The base UNet conditions on target sizes: asking for aesthetics breaks it.
	i2i, err := autopipeline.Image2Image.FromPretrained(ctx, base, autopipeline.WithConfig("requires_aesthetics_score", true))
	require.NoError(t, err)
	_, err = i2i.Generate(ctx, r)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Model expects an added time embedding vector of length 80, but a vector of 72 was created.")
	assert.Contains(t, err.Error(), "`aesthetic_score` 6 and `negative_aesthetic_score` 2.5")

	// The refiner conditions on aesthetic scores.
	ref, err := autopipeline.Image2Image.FromPretrained(ctx, refiner)
	require.NoError(t, err)
	_, err = ref.Generate(ctx, r)
	require.NoError(t, err)
	off, err := autopipeline.Image2Image.FromPipe(ref, autopipeline.WithConfig("requires_aesthetics_score", false))
	require.NoError(t, err)
	_, err = off.Generate(ctx, r)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Please make sure to disable `requires_aesthetics_score`")
	assert.Contains(t, err.Error(), "`target_size` (16, 16)")
}
