package limits

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sd15 = Shape{LatentChannels: 4, VAEScale: 8, UNetChannels: []int{320, 640, 1280, 1280},
	VAEChannels: []int{128, 256, 512, 512}, TextTokens: 77, TextHidden: 768}

func TestCheckRequest(t *testing.T) {
	l := Limits{MaxBytes: 16 << 30}
	ok := Request{Images: 1, Width: 512, Height: 512, Steps: 50, Guidance: true}
	cases := []struct {
		name  string
		edit  func(*Request)
		limit Limits
		field string
		want  error
	}{
		{"images 1<<30", func(r *Request) { r.Images = 1 << 30 }, l, "NumImagesPerPrompt", ErrOutOfRange},
		{"images 0", func(r *Request) { r.Images = 0 }, l, "NumImagesPerPrompt", ErrOutOfRange},
		{"width 65536", func(r *Request) { r.Width = 65536 }, l, "Width", ErrOutOfRange},
		{"height MaxInt", func(r *Request) { r.Height = math.MaxInt }, l, "Height", ErrOutOfRange},
		{"negative width", func(r *Request) { r.Width = -8 }, l, "Width", ErrOutOfRange},
		{"pixels", func(r *Request) { r.Width, r.Height = 16384, 16384 }, l, "Width x Height", ErrOutOfRange},
		{"steps", func(r *Request) { r.Steps = 1 << 40 }, l, "NumInferenceSteps", ErrOutOfRange},
		{"prompt", func(r *Request) { r.PromptBytes = 1 << 30 }, l, "Prompt", ErrOutOfRange},
		{"memory", func(r *Request) { r.Images, r.Width, r.Height = 200, 4096, 4096 }, l, "NumImagesPerPrompt, Width or Height", ErrTooLarge},
		{"operator max images", func(r *Request) { r.Images = 5 }, Limits{MaxImages: 4, MaxBytes: 16 << 30}, "NumImagesPerPrompt", ErrOutOfRange},
		{"operator max pixels", func(r *Request) {}, Limits{MaxPixels: 256 * 256, MaxBytes: 16 << 30}, "Width x Height", ErrOutOfRange},
		{"operator max bytes", func(r *Request) {}, Limits{MaxBytes: 100 << 20}, "Width or Height", ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			err := tc.limit.Check(sd15, r)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	require.NoError(t, l.Check(sd15, ok))
	require.NoError(t, l.Check(sd15, Request{Images: 1, Width: 1024, Height: 1024, Steps: 30, Guidance: true}))
	require.NoError(t, l.Check(sd15, Request{Images: 4, Width: 512, Height: 512, Steps: 30, Guidance: true}))
}

func TestEstimate(t *testing.T) {
	one := Estimate(sd15, Request{Images: 1, Width: 512, Height: 512, Guidance: true})
	assert.Greater(t, one, int64(1<<30), "SD 1.5 at 512x512 needs over 1 GiB")
	assert.Less(t, one, int64(4<<30))
	four := Estimate(sd15, Request{Images: 4, Width: 512, Height: 512, Guidance: true})
	assert.InDelta(t, 4, float64(four)/float64(one), 0.1, "linear in images")
	assert.Equal(t, int64(math.MaxInt64), Estimate(sd15, Request{Images: math.MaxInt, Width: math.MaxInt, Height: math.MaxInt}))
	big := Request{Images: 1, Width: 4096, Height: 4096, Guidance: true}
	tiled := sd15
	tiled.VAETile = 512
	assert.Less(t, Estimate(tiled, big), Estimate(sd15, big)*3/10, "a tiled decode holds one tile's activations")
}

func TestBounds(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"int above", Int("layers_per_block", 1e9, 1, MaxLayers)},
		{"int below", Int("norm_num_groups", 0, 1, MaxGroups)},
		{"list entry", Ints("block_out_channels", []int{32, -1}, 1, MaxChannels, MaxBlocks)},
		{"list length", Ints("block_out_channels", make([]int, 100), 0, 1, MaxBlocks)},
		{"NaN", Finite("norm_eps", math.NaN())},
		{"+Inf", Float("beta_end", math.Inf(1), 0, 1)},
		{"negative", Positive("norm_eps", -1e-5)},
		{"zero", Positive("norm_eps", 0)},
		{"list NaN", Floats("latents_mean", []float64{0, math.NaN()})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.ErrorIs(t, tc.err, ErrOutOfRange)
		})
	}
	assert.NoError(t, First(Int("x", 3, 1, 3), Float("y", 0.5, 0, 1), Positive("z", 1e-6)))
}

func TestAvailableMemory(t *testing.T) {
	assert.Greater(t, AvailableMemory(), int64(0))
	old := debug.SetMemoryLimit(3 << 30)
	defer debug.SetMemoryLimit(old)
	assert.Equal(t, int64(3<<30), AvailableMemory(), "the Go memory limit wins")
	assert.Equal(t, int64(3<<30), Limits{}.Fill().MaxBytes)
}
