package main

import (
	"context"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// --lora file[:weight] (repeatable) and --textual_inversion give the
// library's image with WithLoRA and WithTextualInversion.
func TestLoRAAndTextualInversionFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "l.png")
	kohya, peft := td+"lora/sd_kohya.safetensors", td+"lora/sd_peft.safetensors"
	code, _, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "a <cat-toy>", "--num_inference_steps", "2",
		"--seed", "3", "--lora", kohya+":0.6", "--lora", peft, "--textual_inversion", td+"textinv/cat-toy.safetensors", "--out", out)
	require.Equal(t, 0, code, stderr)
	img := testutil.LoadPNG(t, out)

	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd", autopipeline.WithLoRA(kohya, 0.6),
		autopipeline.WithLoRA(peft, 1), autopipeline.WithTextualInversion(td+"textinv/cat-toy.safetensors", ""))
	require.NoError(t, err)
	want, err := pipe.Generate(context.Background(), autopipeline.Request{Prompt: "a <cat-toy>", NumInferenceSteps: 2, Seed: 3})
	require.NoError(t, err)
	require.Equal(t, want.Images[0].(*image.NRGBA).Pix, testutil.NRGBA(img).Pix)

	code, _, stderr = autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "x", "--lora", td+"no-such.safetensors", "--out", out)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "no-such.safetensors")
}

// LCM-LoRA from the command line (--lora, --sampler lcm, 4 steps, cfg 1)
// gives diffusers' image (testdata/golden/lora_pipe_sd_lcm, rounded to 8
// bits here) within 2/255.
func TestLCMLoRAFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lcm.png")
	code, _, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--no-safety-checker", "--prompt", "a photo of a cat",
		"--lora", td+"lora/sd_lcm.safetensors", "--sampler", "lcm", "--steps", "4", "--cfg-scale", "1", "--seed", "5",
		"-W", "64", "-H", "64", "--out", out)
	require.Equal(t, 0, code, stderr)
	got := testutil.NRGBA(testutil.LoadPNG(t, out))
	src, err := weights.Open(td + "golden/lora_pipe_sd_lcm.safetensors")
	require.NoError(t, err)
	defer src.Close()
	want, err := src.Tensor("images") // [1, 64, 64, 3]
	require.NoError(t, err)
	worst := 0.0
	for i, v := range tensor.F32(want) {
		p := i/3*4 + i%3
		worst = math.Max(worst, math.Abs(float64(got.Pix[p])/255-float64(v)))
	}
	require.Less(t, worst, 2.0/255)
}
