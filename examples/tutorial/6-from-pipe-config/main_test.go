package main

import (
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	base := tutorialtest.ImageServer(t)
	model := testutil.Testdata("tiny-sd")
	out := filepath.Join(t.TempDir(), "strength.png")
	stdout, err := tutorialtest.Run(t, run, "-model", model, "-image", base+tutorialtest.CatPath, "-steps", "10", "-out", out)
	require.NoError(t, err)
	want := "text-to-image: StableDiffusionPipeline\n" +
		"  _class_name: StableDiffusionPipeline\n" +
		"  _name_or_path: " + model + "\n" +
		"  requires_safety_checker: false\n" +
		"image-to-image: StableDiffusionImg2ImgPipeline\n" +
		"  _class_name: StableDiffusionImg2ImgPipeline\n" +
		"  _name_or_path: " + model + "\n" +
		"  requires_safety_checker: false\n" +
		"image-to-image (overridden): StableDiffusionImg2ImgPipeline\n" +
		"  _class_name: StableDiffusionImg2ImgPipeline\n" +
		"  _name_or_path: " + model + "\n" +
		"  requires_safety_checker: true\n" +
		"  call defaults: strength=0.3\n" +
		// int(10 * 0.3) = 3 steps, plus the timestep PNDM repeats (as in
		// diffusers); the image-to-image default 0.8 would run 9.
		"strength default 0.3: 4 denoising steps run (10 requested)\n"
	require.Equal(t, want, stdout)
}
