package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t2i.png")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-steps", "2", "-seed", "7", "-prompt", "a red cube", "-out", out}, &stdout)
	require.NoError(t, err)
	require.Contains(t, stdout.String(), "StableDiffusionPipeline")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, 64, img.Bounds().Dx())
	require.Equal(t, 64, img.Bounds().Dy())

	text, err := autopipeline.ReadPNGText(bytes.NewReader(data))
	require.NoError(t, err)
	p, err := autopipeline.ParseParameters(text["parameters"])
	require.NoError(t, err)
	require.Equal(t, "a red cube", p.Prompt)
	require.Equal(t, 2, p.Steps)
	require.Equal(t, int64(7), p.Seed)
	require.Equal(t, 64, p.Width)
	require.Equal(t, "DPM++ 2M", p.Sampler)
	require.Equal(t, demo.Name, p.Model, "the model's name, not the temporary folder")
	require.Equal(t, 7.5, p.CFGScale, "the request as it ran, defaults filled in")
}

func TestRunBadFlag(t *testing.T) {
	err := run(context.Background(), []string{"-steps", "many"}, &bytes.Buffer{})
	require.Error(t, err)
}
