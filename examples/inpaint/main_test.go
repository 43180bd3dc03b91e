package main

import (
	"bytes"
	"context"
	"image"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

// The embedded checkpoint has a 4-channel UNet (legacy inpainting).
func TestRunDefault(t *testing.T) {
	out := filepath.Join(t.TempDir(), "inpaint.png")
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-steps", "2", "-prompt", "a cat", "-out", out}, &stdout))
	require.Contains(t, stdout.String(), "StableDiffusionInpaintPipeline")
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, "a cat", p.Prompt)
	require.Equal(t, 2, p.Steps)
}

// A dedicated inpainting checkpoint (9-channel UNet), with image and mask
// read from files.
func TestRunInpaintCheckpoint(t *testing.T) {
	dir := t.TempDir()
	in := testutil.WritePNG(t, dir, "in.png", gradient(32))
	mask := testutil.WritePNG(t, dir, "mask.png", centreSquare(32, 32))
	out := filepath.Join(dir, "out.png")
	args := []string{"-model", testutil.Testdata("tiny-sd-inpaint"), "-image", in, "-mask", mask, "-steps", "2", "-out", out}
	require.NoError(t, run(context.Background(), args, &bytes.Buffer{}))
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 32, 32), img.Bounds())
	require.Equal(t, 32, p.Width)
}

func TestCentreSquare(t *testing.T) {
	m := centreSquare(8, 8).(*image.Gray)
	require.Equal(t, uint8(0), m.GrayAt(0, 0).Y)
	require.Equal(t, uint8(0), m.GrayAt(1, 1).Y)
	require.Equal(t, uint8(255), m.GrayAt(2, 2).Y)
	require.Equal(t, uint8(255), m.GrayAt(5, 5).Y)
	require.Equal(t, uint8(0), m.GrayAt(6, 6).Y)
}
