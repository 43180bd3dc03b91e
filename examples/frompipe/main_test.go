package main

import (
	"bytes"
	"context"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-steps", "2", "-prompt", "a cabin", "-out", filepath.Join(dir, "fp.png")}, &stdout))

	lines := strings.Split(stdout.String(), "\n")
	require.Equal(t, []string{"StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline"}, lines[:3])
	require.Equal(t, "shared components: scheduler, text_encoder, tokenizer, unet, vae", lines[3], "the demo model has no safety checker")

	for _, task := range []string{"text2img", "img2img", "inpaint"} {
		img, p := pngout.Read(t, filepath.Join(dir, "fp-"+task+".png"))
		require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds(), task)
		require.Equal(t, "a cabin", p.Prompt, task)
		require.Equal(t, 2, p.Steps, task)
	}
}

func TestOutputName(t *testing.T) {
	require.Equal(t, "a/b-img2img.png", output("a/b.png", "img2img"))
	require.Equal(t, "b-inpaint", output("b", "inpaint"))
}

func TestIdentical(t *testing.T) {
	a, b := new(int), new(int)
	require.True(t, identical(a, a))
	require.False(t, identical(a, b))
	require.False(t, identical([]int{1}, []int{1})) // not comparable: no panic
}
