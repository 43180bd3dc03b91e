package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	base := tutorialtest.ImageServer(t)
	out := filepath.Join(t.TempDir(), "i2i.png")
	stdout, err := tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sd"),
		"-image", base+tutorialtest.CatPath, "-max-size", "64", "-steps", "4", "-out", out)
	require.NoError(t, err)
	require.Contains(t, stdout, "pipeline: StableDiffusionImg2ImgPipeline\n")
	// PIL: (80, 56).thumbnail((64, 64)) -> (64, 45)
	require.Contains(t, stdout, "input 80x56, thumbnail 64x45\n")
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	// The pipeline rounds the size down to multiples of the VAE scale factor.
	require.Equal(t, 64, cfg.Width)
	require.Less(t, cfg.Height, 64)

	_, err = tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sd"), "-image", base+"/missing.png", "-out", out)
	require.ErrorContains(t, err, "404")
}
