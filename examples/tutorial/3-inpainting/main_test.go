package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	base := tutorialtest.ImageServer(t)
	out := filepath.Join(t.TempDir(), "inpaint.png")
	stdout, err := tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sdxl"),
		"-image", base+tutorialtest.InitPath, "-mask", base+tutorialtest.MaskPath, "-steps", "3", "-out", out)
	require.NoError(t, err)
	require.Contains(t, stdout, "pipeline: StableDiffusionXLInpaintPipeline\n")
	require.Contains(t, stdout, "saved "+out+" (64x64)\n")
	_, err = os.Stat(out)
	require.NoError(t, err)

	// The mask must match the image's size.
	_, err = tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sdxl"),
		"-image", base+tutorialtest.CatPath, "-mask", base+tutorialtest.MaskPath, "-steps", "1", "-out", out)
	require.ErrorContains(t, err, "The mask and image should be the same size")
}
