package autopipeline_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/tensor"
)

func tinyPipes(t testing.TB) (t2i, i2i autopipeline.Pipeline) {
	t.Helper()
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithConfig("requires_safety_checker", false))
	require.NoError(t, err)
	i2i, err = autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	return t2i, i2i
}

// Request fields outside what the pipeline or the machine can take are
// refused before anything is allocated, with ErrInvalidRequest.
func TestHostileRequests(t *testing.T) {
	t2i, i2i := tinyPipes(t)
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	var nilImg *image.NRGBA
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		pipe autopipeline.Pipeline
		ctx  context.Context
		req  autopipeline.Request
		also error
	}{
		{"images per prompt 1<<30", t2i, nil, autopipeline.Request{NumImagesPerPrompt: 1 << 30}, nil},
		{"width 65536", t2i, nil, autopipeline.Request{Width: 65536, Height: 64}, nil},
		{"height 65536", t2i, nil, autopipeline.Request{Width: 64, Height: 65536}, nil},
		{"width near MaxInt", t2i, nil, autopipeline.Request{Width: math.MaxInt - 7, Height: 64}, nil},
		{"steps 1<<40", t2i, nil, autopipeline.Request{NumInferenceSteps: 1 << 40}, nil},
		{"prompt of 2 MiB", t2i, nil, autopipeline.Request{Prompt: strings.Repeat("a ", 1<<20)}, nil},
		{"guidance +Inf", t2i, nil, autopipeline.Request{GuidanceScale: inf}, nil},
		{"guidance -Inf", t2i, nil, autopipeline.Request{GuidanceScale: -inf}, nil},
		{"guidance NaN", t2i, nil, autopipeline.Request{GuidanceScale: nan}, nil},
		{"eta NaN", t2i, nil, autopipeline.Request{Eta: nan}, nil},
		{"sigmas Inf", t2i, nil, autopipeline.Request{Sigmas: []float64{inf, 1}}, nil},
		{"sigmas negative", t2i, nil, autopipeline.Request{Sigmas: []float64{1, -1}}, nil},
		{"sigmas increasing", t2i, nil, autopipeline.Request{Sigmas: []float64{1, 2, 0}}, nil},
		{"timesteps NaN", t2i, nil, autopipeline.Request{Timesteps: []float64{500, nan}}, nil},
		{"timesteps unsorted", t2i, nil, autopipeline.Request{Timesteps: []float64{10, 500}}, nil},
		{"timesteps past training", t2i, nil, autopipeline.Request{Timesteps: []float64{5000, 10}}, nil},
		{"strength NaN", i2i, nil, autopipeline.Request{Image: img, Strength: nan}, nil},
		{"strength +Inf", i2i, nil, autopipeline.Request{Image: img, Strength: inf}, nil},
		{"nil *image.NRGBA", i2i, nil, autopipeline.Request{Image: nilImg}, autopipeline.ErrInvalidImage},
		{"image.Uniform", i2i, nil, autopipeline.Request{Image: image.NewUniform(color.White)}, autopipeline.ErrInvalidImage},
		{"empty palette", i2i, nil, autopipeline.Request{Image: image.NewPaletted(image.Rect(0, 0, 8, 8), nil)}, autopipeline.ErrInvalidImage},
		{"latents of the wrong batch", t2i, nil, autopipeline.Request{Latents: tensor.New(2, 4, 32, 32), Width: 64, Height: 64}, nil},
		{"latents of the wrong size", t2i, nil, autopipeline.Request{Latents: tensor.New(1, 4, 8, 8), Width: 64, Height: 64}, nil},
		{"latents for an image, wrong channels", i2i, nil, autopipeline.Request{Latents: tensor.New(1, 3, 8, 8)}, nil},
		{"latents for an image, 3-D", i2i, nil, autopipeline.Request{Latents: tensor.New(4, 8, 8)}, nil},
		{"operator max images", t2i, autopipeline.ContextWithLimits(context.Background(), autopipeline.Limits{MaxImages: 2}),
			autopipeline.Request{NumImagesPerPrompt: 3}, nil},
		{"operator max pixels", t2i, autopipeline.ContextWithLimits(context.Background(), autopipeline.Limits{MaxPixels: 32 * 32}),
			autopipeline.Request{Width: 64, Height: 64}, nil},
		{"operator memory", t2i, autopipeline.ContextWithLimits(context.Background(), autopipeline.Limits{MaxBytes: 1 << 10}),
			autopipeline.Request{}, autopipeline.ErrTooLarge},
		{"memory estimate", t2i, nil, autopipeline.Request{NumImagesPerPrompt: 200, Width: 4096, Height: 4096}, autopipeline.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			r := tc.req
			if r.Prompt == "" {
				r.Prompt = "a cat"
			}
			r.NumInferenceSteps = max(r.NumInferenceSteps, 2)
			start := time.Now()
			_, err := tc.pipe.Generate(ctx, r)
			require.Error(t, err)
			assert.ErrorIs(t, err, autopipeline.ErrInvalidRequest)
			if tc.also != nil {
				assert.ErrorIs(t, err, tc.also)
			}
			assert.NotContains(t, err.Error(), "internal error")
			assert.Less(t, len(err.Error()), 400, "one short line")
			assert.Less(t, time.Since(start), 2*time.Second, "refused before any work")
		})
	}
	//nolint:staticcheck // a nil context is what is being tested
	_, err := t2i.Generate(nil, autopipeline.Request{Prompt: "a cat"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "goroutine")
}

// nanWeights returns a copy of tiny-sd whose UNet conv_out.bias is NaN.
func nanWeights(t *testing.T) string {
	dir := copyFixture(t, "tiny-sd")
	p := filepath.Join(dir, "unet", "diffusion_pytorch_model.safetensors")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(data)
	var hdr map[string]struct {
		Offsets [2]int `json:"data_offsets"`
	}
	require.NoError(t, json.Unmarshal(data[8:8+n], &hdr))
	e, ok := hdr["conv_out.bias"]
	require.True(t, ok)
	for o := e.Offsets[0]; o < e.Offsets[1]; o += 4 {
		binary.LittleEndian.PutUint32(data[8+int(n)+o:], 0x7fc00000)
	}
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return dir
}

// A generation whose numbers are not finite returns an error, never a NaN
// image.
func TestNonFiniteOutput(t *testing.T) {
	t2i, _ := tinyPipes(t)
	ctx := context.Background()
	nanLatents := tensor.New(1, 4, 32, 32) // 64x64 pixels, VAE scale 2
	for i, d := 0, tensor.F32(nanLatents); i < len(d); i++ {
		d[i] = float32(math.NaN())
	}
	broken, err := autopipeline.Text2Image.FromPretrained(ctx, nanWeights(t), autopipeline.WithConfig("requires_safety_checker", false))
	require.NoError(t, err)
	cases := []struct {
		name string
		pipe autopipeline.Pipeline
		req  autopipeline.Request
	}{
		{"NaN latents", t2i, autopipeline.Request{Latents: nanLatents}},
		{"NaN weights", broken, autopipeline.Request{}},
		{"NaN weights, latent output", broken, autopipeline.Request{OutputType: "latent"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			r.Prompt, r.NumInferenceSteps, r.Width, r.Height = "a cat", 2, 64, 64
			out, err := tc.pipe.Generate(ctx, r)
			require.Error(t, err, "output %v", out)
			assert.True(t, errors.Is(err, autopipeline.ErrNonFinite), "%v", err)
		})
	}
	out, err := t2i.Generate(ctx, autopipeline.Request{Prompt: "a cat", NumInferenceSteps: 2, Width: 64, Height: 64})
	require.NoError(t, err)
	require.Len(t, out.Images, 1)
}
