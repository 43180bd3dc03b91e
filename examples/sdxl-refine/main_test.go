package main

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "refined.png")
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-steps", "2", "-high-noise-frac", "0.5", "-seed", "21", "-prompt", "a lion", "-out", out}, &stdout))
	require.Contains(t, stdout.String(), "base: StableDiffusionXLPipeline, refiner: StableDiffusionXLImg2ImgPipeline")

	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, "a lion", p.Prompt)
	require.Equal(t, 2, p.Steps)
	require.Equal(t, int64(21), p.Seed)
	require.True(t, strings.HasSuffix(p.Model, "tiny-sdxl"), p.Model)
	require.True(t, strings.HasSuffix(p.Extra["Refiner"], "tiny-sdxl-refiner"), p.Extra["Refiner"])
	require.Equal(t, "0.5", p.Extra["Refiner switch at"])
}

func TestRunBadFraction(t *testing.T) {
	err := run(context.Background(), []string{"-high-noise-frac", "1"}, &bytes.Buffer{})
	require.ErrorContains(t, err, "strictly between 0 and 1")
}

func TestTestdata(t *testing.T) {
	p, err := testdata("tiny-sdxl")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(p, "model_index.json"))
	_, err = testdata("no-such-checkpoint")
	require.ErrorIs(t, err, os.ErrNotExist)
}
