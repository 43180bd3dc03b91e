package autopipeline_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

func TestPNGParametersRoundTrip(t *testing.T) {
	p := autopipeline.Parameters{Prompt: "a cat, oil painting", NegativePrompt: "blurry", Steps: 25, Sampler: "DPM++ 2M Karras",
		CFGScale: 7.5, Seed: 42, Width: 8, Height: 8, Model: "runwayml/stable-diffusion-v1-5", Extra: map[string]string{"Denoising strength": "0.75"}}
	require.Equal(t, "a cat, oil painting\nNegative prompt: blurry\nSteps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 8x8, Model: runwayml/stable-diffusion-v1-5, Denoising strength: 0.75", p.String())
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	path := filepath.Join(t.TempDir(), "out.png")
	require.NoError(t, autopipeline.SavePNG(path, img, p))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(data))
	require.NoError(t, err, "the text chunk keeps the file a valid PNG")
	text, err := autopipeline.ReadPNGText(bytes.NewReader(data))
	require.NoError(t, err)
	back, err := autopipeline.ParseParameters(text["parameters"])
	require.NoError(t, err)
	require.Equal(t, p, back)
	// nothing but the PNG is left in the folder
	entries, _ := os.ReadDir(filepath.Dir(path))
	require.Len(t, entries, 1)

	// values with separators are quoted and read back
	q := autopipeline.Parameters{Prompt: "x", Steps: 2, Seed: 1, Model: "/models/a, b: c", Extra: map[string]string{"Note": `say "hi"`}}
	back, err = autopipeline.ParseParameters(q.String())
	require.NoError(t, err)
	require.Equal(t, q, back)
	_, err = autopipeline.ParseParameters("x\nModel: \"open")
	require.Error(t, err)

	_, err = autopipeline.ReadPNGText(bytes.NewReader([]byte("not a png")))
	require.Error(t, err)
	require.Error(t, autopipeline.SavePNG(filepath.Join(t.TempDir(), "missing", "x.png"), img, p))
}
