package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

func TestRunGradient(t *testing.T) {
	out := filepath.Join(t.TempDir(), "i2i.png")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-steps", "2", "-strength", "1", "-seed", "3", "-out", out}, &stdout)
	require.NoError(t, err)
	require.Contains(t, stdout.String(), "StableDiffusionImg2ImgPipeline")
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, 2, p.Steps)
	require.Equal(t, int64(3), p.Seed)
	require.Equal(t, "1", p.Extra["Denoising strength"])
}

// An input image's size is kept: img2img works at the input's resolution.
func TestRunInputImage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.png")
	src, err := loadOrGradient(context.Background(), "", 48)
	require.NoError(t, err)
	f, err := os.Create(in)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, src))
	require.NoError(t, f.Close())

	out := filepath.Join(dir, "out.png")
	require.NoError(t, run(context.Background(), []string{"-image", in, "-steps", "2", "-out", out}, &bytes.Buffer{}))
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 48, 48), img.Bounds())
	require.Equal(t, 48, p.Height)
}

func TestRunMissingImage(t *testing.T) {
	err := run(context.Background(), []string{"-image", filepath.Join(t.TempDir(), "nope.png")}, &bytes.Buffer{})
	require.ErrorIs(t, err, os.ErrNotExist)
}
