package autopipeline_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
)

// TestParityFast compares the few-step pipelines with diffusers: LCM
// text-to-image and image-to-image (1, 2 and 4 steps), SD and LCM with a
// tiny AutoencoderTiny as their VAE (decode and image-to-image encode), an
// SD-2-style trailing-Euler turbo checkpoint and an SDXL one with trailing
// Euler ancestral (guidance off; with TAESD; image-to-image), and a
// checkpoint that ships an AutoencoderTiny.
func TestParityFast(t *testing.T) {
	for _, name := range []string{"lcm_t2i4", "lcm_t2i1", "lcm_t2i2x2", "lcm_i2i4", "lcm_i2i1",
		"sd_taesd_t2i", "sd_taesd_i2i", "lcm_taesd_t2i", "turbo_t2i1", "turbo_t2i4", "turbo_i2i2", "sdxs_t2i1",
		"sdxlturbo_t2i1", "sdxlturbo_t2i2_taesd", "sdxlturbo_i2i2"} {
		t.Run(name, func(t *testing.T) { runParity(t, name) })
	}
}

// TestLCMInpaintingUnsupported: diffusers has no LCM inpainting class.
func TestLCMInpaintingUnsupported(t *testing.T) {
	_, err := autopipeline.Inpainting.FromPretrained(context.Background(), td+"tiny-lcm")
	require.ErrorIs(t, err, autopipeline.ErrUnsupported)
	assert.Contains(t, err.Error(), "AutoPipeline can't find a pipeline linked to LatentConsistencyModelPipeline for lcm")
}

func TestLCMFromPipe(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-lcm")
	require.NoError(t, err)
	assert.Equal(t, "LatentConsistencyModelPipeline", t2i.ClassName())
	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	assert.Equal(t, "LatentConsistencyModelImg2ImgPipeline", i2i.ClassName())
	assert.Same(t, t2i.Components().UNet(), i2i.Components().UNet())
	back, err := autopipeline.Text2Image.FromPipe(i2i)
	require.NoError(t, err)
	assert.Equal(t, "LatentConsistencyModelPipeline", back.ClassName())
	_, err = autopipeline.Inpainting.FromPipe(t2i)
	require.ErrorIs(t, err, autopipeline.ErrUnsupported)
}

func TestLCMRequestChecks(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-lcm")
	require.NoError(t, err)
	for name, r := range map[string]autopipeline.Request{
		"negative prompt":  {Prompt: "a", NegativePrompt: "b"},
		"steps > original": {Prompt: "a", NumInferenceSteps: 60},
		"original steps":   {Prompt: "a", OriginalInferenceSteps: -2},
		"sigmas":           {Prompt: "a", Sigmas: []float64{1, 0}},
	} {
		_, err := p.Generate(ctx, r)
		assert.ErrorIs(t, err, autopipeline.ErrInvalidRequest, name)
	}
	sd, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	_, err = sd.Generate(ctx, autopipeline.Request{Prompt: "a", NumInferenceSteps: 1, OriginalInferenceSteps: 20})
	assert.ErrorIs(t, err, autopipeline.ErrInvalidRequest, "original_inference_steps on an SD pipeline")
}

func TestWithVAE(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithVAE(td+"tiny-taesd"))
	require.NoError(t, err)
	require.NotNil(t, p.Components().TinyVAE())
	assert.Nil(t, p.Components().VAE())
	// FromPipe keeps the replaced VAE; WithVAE there swaps it back.
	i2i, err := autopipeline.Image2Image.FromPipe(p)
	require.NoError(t, err)
	assert.Same(t, p.Components().TinyVAE(), i2i.Components().TinyVAE())
	kl, err := autopipeline.Image2Image.FromPipe(p, autopipeline.WithVAE(td+"tiny-sd/vae"))
	require.NoError(t, err)
	assert.NotNil(t, kl.Components().VAE())

	for name, path := range map[string]string{
		"missing":   td + "no-such-vae",
		"not a vae": td + "tiny-sd/unet",
		"file":      td + "tiny-taesd/config.json",
	} {
		_, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithVAE(path), autopipeline.WithOffline(true))
		assert.Error(t, err, name)
	}
}

// TestFromPipeAs converts between the SD and LCM families with explicit
// classes, as LatentConsistencyModelPipeline.from_pipe(sd_pipe) does.
func TestFromPipeAs(t *testing.T) {
	ctx := context.Background()
	lcm, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-lcm")
	require.NoError(t, err)
	sd, err := autopipeline.FromPipeAs("StableDiffusionImg2ImgPipeline", lcm)
	require.NoError(t, err)
	assert.Equal(t, "StableDiffusionImg2ImgPipeline", sd.ClassName())
	assert.Same(t, lcm.Components().UNet(), sd.Components().UNet())
	// the SD family's AutoPipeline mapping now applies
	inp, err := autopipeline.Inpainting.FromPipe(sd)
	require.NoError(t, err)
	assert.Equal(t, "StableDiffusionInpaintPipeline", inp.ClassName())
	back, err := autopipeline.FromPipeAs("LatentConsistencyModelImg2ImgPipeline", inp)
	require.NoError(t, err)
	assert.Equal(t, "LatentConsistencyModelImg2ImgPipeline", back.ClassName())

	plain, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	_, err = autopipeline.FromPipeAs("LatentConsistencyModelPipeline", plain)
	assert.ErrorIs(t, err, autopipeline.ErrUnsupported, "a UNet without time_cond_proj_dim")
	_, err = autopipeline.FromPipeAs("NoSuchPipeline", plain)
	assert.ErrorIs(t, err, autopipeline.ErrUnsupported)
}
