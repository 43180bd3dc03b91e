package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/demo"
	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t2i.png")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-steps", "2", "-seed", "7", "-prompt", "a red cube", "-out", out}, &stdout)
	require.NoError(t, err)
	require.Contains(t, stdout.String(), "StableDiffusionPipeline")

	img, p := pngout.Read(t, out)
	require.Equal(t, 64, img.Bounds().Dx())
	require.Equal(t, 64, img.Bounds().Dy())
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
