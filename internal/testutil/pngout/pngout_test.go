package pngout

import (
	"image"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestReadRoundTrip(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Pix[5] = 200
	want := autopipeline.Parameters{Prompt: "a cat", Steps: 2, Seed: 7, Width: 3, Height: 2}
	path := filepath.Join(t.TempDir(), "out.png")
	require.NoError(t, autopipeline.SavePNG(path, img, want))
	got, p := Read(t, path)
	testutil.RequireImagesWithin(t, img, got, 0)
	require.Equal(t, want.Prompt, p.Prompt)
	require.Equal(t, want.Steps, p.Steps)
	require.Equal(t, want.Seed, p.Seed)
}
