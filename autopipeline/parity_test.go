package autopipeline_test

import (
	"context"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

var td = testutil.Testdata() + string(filepath.Separator)

type goldenCase struct {
	Class   string         `json:"class"`
	Fixture string         `json:"fixture"`
	Seed    int64          `json:"seed"`
	Load    map[string]any `json:"load"`
	Call    map[string]any `json:"call"`
	Shape   []int          `json:"shape"`
	PIL     bool           `json:"pil"`
	Crop    []int          `json:"crop"`
	NSFW    []bool         `json:"nsfw"`
}

func readGolden(t *testing.T, name string) (goldenCase, []float32) {
	t.Helper()
	var g goldenCase
	testutil.LoadJSON(t, testutil.Golden("pipe_"+name+".json"), &g)
	imgs := testutil.LoadSafetensors(t, testutil.Golden("pipe_"+name+".safetensors")).Dense(t, "images")
	return g, tensor.F32(imgs)
}

func loadPNG(t *testing.T, name string) image.Image {
	t.Helper()
	return testutil.LoadPNG(t, testutil.Golden("pipe_input_"+name+".png"))
}

func requestFor(t *testing.T, g goldenCase) pipelines.Request {
	r := pipelines.Request{Seed: g.Seed}
	for k, v := range g.Call {
		switch k {
		case "prompt":
			r.Prompt = v.(string)
		case "prompt_2":
			r.Prompt2 = v.(string)
		case "negative_prompt":
			r.NegativePrompt = v.(string)
		case "num_inference_steps":
			r.NumInferenceSteps = int(v.(float64))
		case "num_images_per_prompt":
			r.NumImagesPerPrompt = int(v.(float64))
		case "guidance_scale":
			r.GuidanceScale = v.(float64)
		case "clip_skip":
			r.ClipSkip = int(v.(float64))
		case "guidance_rescale":
			r.GuidanceRescale = v.(float64)
		case "strength":
			r.Strength = v.(float64)
		case "image":
			r.Image = loadPNG(t, v.(string))
		case "mask_image":
			r.MaskImage = loadPNG(t, v.(string))
		case "padding_mask_crop":
			r.PaddingMaskCrop = int(v.(float64))
		case "denoising_start":
			r.DenoisingStart = v.(float64)
		case "denoising_end":
			r.DenoisingEnd = v.(float64)
		default:
			t.Fatalf("golden call parameter %q not mapped", k)
		}
	}
	return r
}

func taskFor(class string) autopipeline.Task {
	switch class {
	case "StableDiffusionImg2ImgPipeline", "StableDiffusionXLImg2ImgPipeline":
		return autopipeline.Image2Image
	case "StableDiffusionInpaintPipeline", "StableDiffusionXLInpaintPipeline":
		return autopipeline.Inpainting
	}
	return autopipeline.Text2Image
}

// runParity generates the golden case with our pipeline and compares the
// float output (before 8-bit rounding) and the 8-bit images.
func runParity(t *testing.T, name string) {
	g, want := readGolden(t, name)
	var opts []autopipeline.Option
	for k := range g.Load {
		opts = append(opts, autopipeline.WithComponent(k, nil))
	}
	task := taskFor(g.Class)
	p, err := task.FromPretrained(context.Background(), td+g.Fixture, opts...)
	require.NoError(t, err)
	require.Equal(t, g.Class, p.ClassName())
	out, err := p.Generate(context.Background(), requestFor(t, g))
	require.NoError(t, err)
	if g.NSFW != nil {
		require.Equal(t, g.NSFW, out.NSFWContentDetected)
	}
	n, h, w := g.Shape[0], g.Shape[1], g.Shape[2]
	if g.PIL {
		// The golden is diffusers' 8-bit PIL output (padding_mask_crop
		// overlays the generated image on the original one).
		require.Equal(t, g.Crop, cropOf(t, g))
		var max8 int
		for b := 0; b < n; b++ {
			px := out.Images[b].(*image.NRGBA)
			require.Equal(t, image.Rect(0, 0, w, h), px.Bounds())
			for i := 0; i < w*h; i++ {
				for c := 0; c < 3; c++ {
					d := int(px.Pix[4*i+c]) - int(math.Round(float64(want[(b*w*h+i)*3+c])*255))
					max8 = max(max8, d, -d)
				}
			}
		}
		t.Logf("%s: %d/255 (8-bit, after the overlay)", name, max8)
		require.LessOrEqual(t, max8, 2)
		return
	}
	require.Equal(t, []int{n, 3, h, w}, []int(out.Pixels.Shape()))
	maxErr, _ := testutil.MaxAbsDiff(tensor.F32(out.Pixels), nchw(want, n, h, w))
	var max8 int
	for b := 0; b < n; b++ {
		px := out.Images[b].(*image.NRGBA)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for c := 0; c < 3; c++ {
					wv := want[((b*h+y)*w+x)*3+c]
					d := int(px.Pix[(y*w+x)*4+c]) - int(engine.ToUint8(wv))
					if d < 0 {
						d = -d
					}
					if d > max8 {
						max8 = d
					}
				}
			}
		}
	}
	t.Logf("%s: max |diff| %.3g (float), %d/255 (8-bit)", name, maxErr, max8)
	require.LessOrEqual(t, maxErr, 2.0/255, "float output differs from diffusers")
	require.LessOrEqual(t, max8, 2, "8-bit output differs from diffusers")
}

func cropOf(t *testing.T, g goldenCase) []int {
	r := requestFor(t, g)
	rc := engine.CropRegion(r.MaskImage, 64, 64, r.PaddingMaskCrop)
	return []int{rc.Min.X, rc.Min.Y, rc.Max.X, rc.Max.Y}
}

func TestParitySD(t *testing.T) {
	for _, name := range []string{"sd_t2i", "sd_t2i_nosafety", "sd_t2i_rescale", "sd_t2i_clipskip", "sd_i2i", "sd_inpaint4", "sd_inpaint9", "sd_inpaint_crop", "sd2_t2i"} {
		t.Run(name, func(t *testing.T) { runParity(t, name) })
	}
}

func TestParitySDXL(t *testing.T) {
	for _, name := range []string{"sdxl_t2i", "sdxl_t2i_neg", "sdxl_i2i", "sdxl_inpaint", "sdxl_inpaint64", "refiner_i2i"} {
		t.Run(name, func(t *testing.T) { runParity(t, name) })
	}
}

// TestParityEnsemble runs SDXL base to denoising_end 0.8 returning latents,
// then the refiner from denoising_start 0.8, with one seed, as diffusers'
// ensemble-of-experts example does with one generator.
func TestParityEnsemble(t *testing.T) {
	ctx := context.Background()
	golden := testutil.LoadSafetensors(t, testutil.Golden("pipe_ensemble.safetensors"))
	wantImg, wantLat := golden["images"], golden["base_latents"]

	base, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sdxl")
	require.NoError(t, err)
	refiner, err := autopipeline.Image2Image.FromPretrained(ctx, td+"tiny-sdxl-refiner")
	require.NoError(t, err)
	prompt := "a majestic lion jumping from a big stone"
	lat, err := base.Generate(ctx, pipelines.Request{Prompt: prompt, NumInferenceSteps: 5, DenoisingEnd: 0.8, OutputType: "latent", Seed: 21})
	require.NoError(t, err)
	require.Nil(t, lat.Images)
	d, _ := testutil.MaxAbsDiff(tensor.F32(lat.Latents), wantLat.Data)
	t.Logf("base latents: max |diff| %.3g", d)
	testutil.RequireClose(t, wantLat.Data, tensor.F32(lat.Latents), 1e-4, "base latents")

	// diffusers continues the same generator in the refiner; the refiner's
	// only draw would be the noise, which denoising_start skips.
	out, err := refiner.Generate(ctx, pipelines.Request{Prompt: prompt, NumInferenceSteps: 5, DenoisingStart: 0.8, Latents: lat.Latents, Seed: 21})
	require.NoError(t, err)
	n, h, w := wantImg.Shape[0], wantImg.Shape[1], wantImg.Shape[2]
	require.Equal(t, []int{n, 3, h, w}, []int(out.Pixels.Shape()))
	maxErr, _ := testutil.MaxAbsDiff(tensor.F32(out.Pixels), nchw(wantImg.Data, n, h, w))
	t.Logf("ensemble: max |diff| %.3g", maxErr)
	require.LessOrEqual(t, maxErr, 2.0/255)
}

// nchw reorders diffusers' float images (numpy, NHWC) to our NCHW layout.
func nchw(nhwc []float32, n, h, w int) []float32 {
	out := make([]float32, len(nhwc))
	for b := 0; b < n; b++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for c := 0; c < 3; c++ {
					out[((b*3+c)*h+y)*w+x] = nhwc[((b*h+y)*w+x)*3+c]
				}
			}
		}
	}
	return out
}
