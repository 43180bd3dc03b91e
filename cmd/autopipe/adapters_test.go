package main

import (
	"context"
	"image"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
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
