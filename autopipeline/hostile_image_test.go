package autopipeline

import (
	"bytes"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hugeImage claims bounds far above any pixel limit.
type hugeImage struct{}

func (hugeImage) ColorModel() color.Model { return color.NRGBAModel }
func (hugeImage) Bounds() image.Rectangle { return image.Rect(0, 0, 1<<20, 1<<20) }
func (hugeImage) At(x, y int) color.Color { return color.Black }

// panicImage panics when read.
type panicImage struct{}

func (panicImage) ColorModel() color.Model { return color.NRGBAModel }
func (panicImage) Bounds() image.Rectangle { return image.Rect(0, 0, 4, 4) }
func (panicImage) At(x, y int) color.Color { panic("broken image") }

func TestImageUtilitiesRefuseBadImages(t *testing.T) {
	badIndex := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black})
	badIndex.Pix[3] = 7
	short := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	short.Pix = short.Pix[:10]
	var nilNRGBA *image.NRGBA
	cases := []struct {
		name string
		img  image.Image
	}{
		{"nil", nil},
		{"typed nil", nilNRGBA},
		{"uniform", image.NewUniform(color.White)},
		{"empty palette", image.NewPaletted(image.Rect(0, 0, 2, 2), nil)},
		{"index past palette", badIndex},
		{"empty", image.NewNRGBA(image.Rect(0, 0, 0, 5))},
		{"short buffer", short},
		{"huge bounds", hugeImage{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToRGB(tc.img)
			assert.ErrorIs(t, err, ErrInvalidImage, "ToRGB")
			_, err = Thumbnail(tc.img, 64, 64)
			assert.ErrorIs(t, err, ErrInvalidImage, "Thumbnail")
			_, err = MakeImageGrid([]image.Image{tc.img}, 1, 1)
			assert.ErrorIs(t, err, ErrInvalidImage, "MakeImageGrid")
			err = EncodePNG(&bytes.Buffer{}, tc.img, Parameters{})
			assert.ErrorIs(t, err, ErrInvalidImage, "EncodePNG")
			err = SavePNG(filepath.Join(t.TempDir(), "x.png"), tc.img, Parameters{})
			assert.ErrorIs(t, err, ErrInvalidImage, "SavePNG")
			if m, ok := tc.img.(*image.NRGBA); ok || tc.img == nil {
				_, err = Orient(m, 6)
				assert.ErrorIs(t, err, ErrInvalidImage, "Orient")
			}
			assert.NotPanics(t, func() { ParametersFor(nil, Request{}, tc.img) })
		})
	}
	// A panic inside the image's own methods is an error, not a crash.
	_, err := ToRGB(panicImage{})
	require.Error(t, err)
	assert.Equal(t, "internal error in ToRGB: broken image", err.Error())
	assert.ErrorIs(t, err, ErrInternal)
	var st interface{ Stack() []byte }
	require.ErrorAs(t, err, &st)
	assert.Contains(t, string(st.Stack()), "panicImage", "the stack is kept for developers")
	_, err = MakeImageGrid([]image.Image{image.NewGray(image.Rect(0, 0, 1, 1))}, 1<<16, 1<<16)
	assert.Error(t, err, "grid size")
}

func TestParametersPromptRoundTrip(t *testing.T) {
	cases := []struct{ prompt, negative string }{
		{"a cat\nNegative prompt: a dog", ""},
		{"a cat\nNegative prompt: a dog", "blurry"},
		{"x", "low quality\nNegative prompt: y"},
		{`\back slash`, `\n not a newline`},
		{"line one\nline two", "neg one\nneg two"},
		{"Negative prompt: at the start", ""},
		{"", "only negative"},
		{"trailing\n", ""},
	}
	for _, tc := range cases {
		p := Parameters{Prompt: tc.prompt, NegativePrompt: tc.negative, Steps: 20, Seed: 1, Sampler: "PNDMScheduler"}
		got, err := ParseParameters(p.String())
		require.NoError(t, err, "%q", p.String())
		assert.Equal(t, tc.prompt, got.Prompt, "%q", p.String())
		assert.Equal(t, tc.negative, got.NegativePrompt, "%q", p.String())
		assert.Equal(t, 20, got.Steps)
	}
	// What A1111 writes still reads the same.
	got, err := ParseParameters("a cat\nNegative prompt: a dog\nSteps: 20, Seed: 1")
	require.NoError(t, err)
	assert.Equal(t, "a cat", got.Prompt)
	assert.Equal(t, "a dog", got.NegativePrompt)
}
