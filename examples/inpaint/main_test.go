package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

func readOutput(t *testing.T, path string) (image.Image, autopipeline.Parameters) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	text, err := autopipeline.ReadPNGText(bytes.NewReader(data))
	require.NoError(t, err)
	p, err := autopipeline.ParseParameters(text["parameters"])
	require.NoError(t, err)
	return img, p
}

// The embedded checkpoint has a 4-channel UNet (legacy inpainting).
func TestRunDefault(t *testing.T) {
	out := filepath.Join(t.TempDir(), "inpaint.png")
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-steps", "2", "-prompt", "a cat", "-out", out}, &stdout))
	require.Contains(t, stdout.String(), "StableDiffusionInpaintPipeline")
	img, p := readOutput(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, "a cat", p.Prompt)
	require.Equal(t, 2, p.Steps)
}

// A dedicated inpainting checkpoint (9-channel UNet), with image and mask
// read from files.
func TestRunInpaintCheckpoint(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, img image.Image) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, img))
		require.NoError(t, f.Close())
		return p
	}
	in := write("in.png", gradient(32))
	mask := write("mask.png", centreSquare(32, 32))
	out := filepath.Join(dir, "out.png")
	args := []string{"-model", "../../testdata/tiny-sd-inpaint", "-image", in, "-mask", mask, "-steps", "2", "-out", out}
	require.NoError(t, run(context.Background(), args, &bytes.Buffer{}))
	img, p := readOutput(t, out)
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
