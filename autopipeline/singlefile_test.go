package autopipeline_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/singlefilefixture"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// A single-file checkpoint (the LDM layout diffusers' from_single_file
// loads bit-identical to the folder, see tools/reference/singlefile_fixtures.py)
// gives the same pipeline class and the same image as the folder.
func TestSingleFileMatchesFolder(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		fixture string
		task    autopipeline.Task
		class   string
		req     pipelines.Request
	}{
		{"tiny-sd", autopipeline.Text2Image, "StableDiffusionPipeline", pipelines.Request{Prompt: "a cat", NumInferenceSteps: 2, Seed: 3}},
		{"tiny-sd2", autopipeline.Text2Image, "StableDiffusionPipeline", pipelines.Request{Prompt: "a castle", NumInferenceSteps: 2, Seed: 4}},
		{"tiny-sd-inpaint", autopipeline.Inpainting, "StableDiffusionInpaintPipeline",
			pipelines.Request{Prompt: "a cat", Image: gray(64, 64), MaskImage: mask(64, 64), NumInferenceSteps: 2, Seed: 5}},
		{"tiny-sdxl", autopipeline.Text2Image, "StableDiffusionXLPipeline", pipelines.Request{Prompt: "a castle", NumInferenceSteps: 2, Seed: 6}},
		{"tiny-sdxl-refiner", autopipeline.Image2Image, "StableDiffusionXLImg2ImgPipeline",
			pipelines.Request{Prompt: "a dog", Image: gray(64, 64), NumInferenceSteps: 3, Strength: 0.5, Seed: 7}},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			file := singlefilefixture.Write(t, td, c.fixture, nil)
			single, err := c.task.FromPretrained(ctx, file, autopipeline.WithSingleFileConfig(td+c.fixture))
			require.NoError(t, err)
			assert.Equal(t, c.class, single.ClassName())
			var opts []autopipeline.Option
			if c.fixture == "tiny-sd" {
				opts = append(opts, autopipeline.WithComponent("safety_checker", nil)) // a single file has none
			}
			folder, err := c.task.FromPretrained(ctx, td+c.fixture, opts...)
			require.NoError(t, err)
			want, err := folder.Generate(ctx, c.req)
			require.NoError(t, err)
			got, err := single.Generate(ctx, c.req)
			require.NoError(t, err)
			require.Equal(t, tensor.F32(want.Pixels), tensor.F32(got.Pixels))
		})
	}
}

func TestSingleFileErrors(t *testing.T) {
	ctx := context.Background()
	_, err := autopipeline.Text2Image.FromPretrained(ctx, td+"singlefile/tiny-sd.json")
	require.Error(t, err)
	_, err = autopipeline.Text2Image.FromPretrained(ctx, "https://example.com/org/name/blob/main/x.safetensors")
	require.Error(t, err)
}

func pixelsDiff(a, b *pipelines.Output) float64 {
	x, y := tensor.F32(a.Pixels), tensor.F32(b.Pixels)
	d := 0.0
	for i := range x {
		d = math.Max(d, math.Abs(float64(x[i]-y[i])))
	}
	return d
}

// A pipeline made with WithLoRA changes the images; the pipeline it was
// made from, and a generation running on it meanwhile, do not change.
func TestLoRASiblingAndConcurrentGenerationUnaffected(t *testing.T) {
	ctx := context.Background()
	base, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	req := pipelines.Request{Prompt: "a cat", NumInferenceSteps: 2, Seed: 1}
	want, err := base.Generate(ctx, req)
	require.NoError(t, err)

	var wg sync.WaitGroup
	var during *pipelines.Output
	var duringErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		during, duringErr = base.Generate(ctx, req)
	}()
	withLoRA, err := autopipeline.Text2Image.FromPipe(base, autopipeline.WithLoRA(td+"lora/sd_kohya.safetensors", 0.8),
		autopipeline.WithLoRA(td+"lora/sd_peft.safetensors", -0.5))
	require.NoError(t, err)
	got, err := withLoRA.Generate(ctx, req)
	require.NoError(t, err)
	wg.Wait()
	require.NoError(t, duringErr)
	assert.Equal(t, tensor.F32(want.Pixels), tensor.F32(during.Pixels))
	assert.Greater(t, pixelsDiff(want, got), 0.01)

	after, err := base.Generate(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, tensor.F32(want.Pixels), tensor.F32(after.Pixels))
	assert.NotSame(t, base.Components()["unet"], withLoRA.Components()["unet"])
	assert.Same(t, base.Components()["vae"], withLoRA.Components()["vae"])

	fused, err := autopipeline.Text2Image.FromPipe(base, autopipeline.WithLoRA(td+"lora/sd_kohya.safetensors", 0.8),
		autopipeline.WithLoRA(td+"lora/sd_peft.safetensors", -0.5), autopipeline.WithFusedLoRA())
	require.NoError(t, err)
	gotFused, err := fused.Generate(ctx, req)
	require.NoError(t, err)
	assert.Less(t, pixelsDiff(got, gotFused), 2.0/255)
}

func TestTextualInversionSiblingUnaffected(t *testing.T) {
	ctx := context.Background()
	base, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	req := pipelines.Request{Prompt: "a photo of <cat-toy>", NumInferenceSteps: 2, Seed: 1}
	want, err := base.Generate(ctx, req)
	require.NoError(t, err)
	ti, err := autopipeline.Text2Image.FromPipe(base, autopipeline.WithTextualInversion(td+"textinv/cat-toy.safetensors", ""))
	require.NoError(t, err)
	got, err := ti.Generate(ctx, req)
	require.NoError(t, err)
	assert.Greater(t, pixelsDiff(want, got), 0.001)
	after, err := base.Generate(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, tensor.F32(want.Pixels), tensor.F32(after.Pixels))
}

// A single file inside a Hub repo loads by "org/name/file.safetensors" and
// by its huggingface.co URL.
func TestSingleFileFromHub(t *testing.T) {
	ctx := context.Background()
	file := singlefilefixture.Write(t, td, "tiny-sd", nil)
	srv := newHubServer(t, map[string]string{"test-org/single": filepath.Dir(file)})
	hubOpt := autopipeline.WithHubOptions(hub.WithEndpoint(srv.hub.URL), hub.WithCacheDir(t.TempDir()), hub.WithToken(""))
	req := pipelines.Request{Prompt: "a cat", NumInferenceSteps: 2, Seed: 2}
	local, err := autopipeline.Text2Image.FromPretrained(ctx, file, autopipeline.WithSingleFileConfig(td+"tiny-sd"))
	require.NoError(t, err)
	want, err := local.Generate(ctx, req)
	require.NoError(t, err)
	for _, name := range []string{"test-org/single/tiny-sd.safetensors", "https://huggingface.co/test-org/single/blob/main/tiny-sd.safetensors"} {
		p, err := autopipeline.Text2Image.FromPretrained(ctx, name, hubOpt, autopipeline.WithSingleFileConfig(td+"tiny-sd"))
		require.NoError(t, err, name)
		got, err := p.Generate(ctx, req)
		require.NoError(t, err)
		require.Equal(t, tensor.F32(want.Pixels), tensor.F32(got.Pixels), name)
	}
}

// With LoRAs (two adapters with weights, kohya and PEFT; fused; SDXL kohya
// LDM-named with both text encoders) the image is diffusers' within 2/255
// (testdata/golden/lora_pipe_*, tools/reference/golden_lora.py).
func TestLoRAPipelineMatchesDiffusers(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"pipe_sd_two", "pipe_sd_two_fused", "pipe_sdxl"} {
		t.Run(name, func(t *testing.T) {
			src, err := weights.Open(td + "golden/lora_" + name + ".safetensors")
			require.NoError(t, err)
			defer src.Close()
			meta := src.(weights.MetadataSource).Metadata()
			var loras []string
			var ws []float64
			var fuse bool
			var call struct {
				Prompt string `json:"prompt"`
				Steps  int    `json:"num_inference_steps"`
				Seed   int64  `json:"seed"`
			}
			for k, dst := range map[string]any{"loras": &loras, "weights": &ws, "fuse": &fuse, "call": &call} {
				require.NoError(t, json.Unmarshal([]byte(meta[k]), dst))
			}
			var opts []autopipeline.Option
			for i, l := range loras {
				opts = append(opts, autopipeline.WithLoRA(td+"lora/"+l, ws[i]))
			}
			if fuse {
				opts = append(opts, autopipeline.WithFusedLoRA())
			}
			if meta["fixture"] == "tiny-sd" {
				opts = append(opts, autopipeline.WithComponent("safety_checker", nil))
			}
			p, err := autopipeline.Text2Image.FromPretrained(ctx, td+meta["fixture"], opts...)
			require.NoError(t, err)
			out, err := p.Generate(ctx, pipelines.Request{Prompt: call.Prompt, NumInferenceSteps: call.Steps, Seed: call.Seed, Height: 64, Width: 64})
			require.NoError(t, err)
			want, err := src.Tensor("images")
			require.NoError(t, err)
			assert.Less(t, worstPixel(tensor.F32(want), tensor.F32(out.Pixels), 64, 64), 2.0/255)
		})
	}
}

// LCM-LoRA as its model card uses it: the LCM scheduler, the LoRA (a tiny
// one in the layout of latent-consistency/lcm-lora-sdv1-5 and -sdxl: kohya
// keys with diffusers names on every UNet linear and convolution, float16),
// 4 steps, guidance 1 (and 1.5 with a negative prompt, which runs CFG): the
// image is diffusers' within 2/255 (testdata/golden/lora_pipe_*_lcm*,
// tools/reference/golden_lcm_lora.py).
func TestLCMLoRAMatchesDiffusers(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"pipe_sd_lcm", "pipe_sd_lcm_cfg", "pipe_sdxl_lcm"} {
		t.Run(name, func(t *testing.T) {
			src, err := weights.Open(td + "golden/lora_" + name + ".safetensors")
			require.NoError(t, err)
			defer src.Close()
			meta := src.(weights.MetadataSource).Metadata()
			var call struct {
				Prompt   string  `json:"prompt"`
				Negative string  `json:"negative_prompt"`
				Steps    int     `json:"num_inference_steps"`
				Guidance float64 `json:"guidance_scale"`
				Seed     int64   `json:"seed"`
			}
			require.NoError(t, json.Unmarshal([]byte(meta["call"]), &call))
			opts := []autopipeline.Option{autopipeline.WithScheduler("LCMScheduler"), autopipeline.WithLoRA(td+"lora/"+meta["lora"], 1)}
			if meta["fixture"] == "tiny-sd" {
				opts = append(opts, autopipeline.WithComponent("safety_checker", nil))
			}
			p, err := autopipeline.Text2Image.FromPretrained(ctx, td+meta["fixture"], opts...)
			require.NoError(t, err)
			out, err := p.Generate(ctx, pipelines.Request{Prompt: call.Prompt, NegativePrompt: call.Negative,
				NumInferenceSteps: call.Steps, GuidanceScale: call.Guidance, Seed: call.Seed, Height: 64, Width: 64})
			require.NoError(t, err)
			want, err := src.Tensor("images")
			require.NoError(t, err)
			assert.Less(t, worstPixel(tensor.F32(want), tensor.F32(out.Pixels), 64, 64), 2.0/255)
		})
	}
}

// worstPixel is the largest difference between an image [1,H,W,3] and one
// [1,3,H,W].
func worstPixel(hwc, chw []float32, h, w int) float64 {
	worst := 0.0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				worst = math.Max(worst, math.Abs(float64(hwc[(y*w+x)*3+c]-chw[(c*h+y)*w+x])))
			}
		}
	}
	return worst
}

// WithLoRA takes a Hub repo id (its pytorch_lora_weights.safetensors, as
// diffusers' load_lora_weights("latent-consistency/lcm-lora-sdv1-5")), a
// file in a repo and its URL: the image is the local file's.
func TestLoRAFromHub(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data, err := os.ReadFile(td + "lora/sd_lcm.safetensors")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pytorch_lora_weights.safetensors"), data, 0o644))
	srv := newHubServer(t, map[string]string{"test-org/lcm-lora": dir})
	hubOpt := autopipeline.WithHubOptions(hub.WithEndpoint(srv.hub.URL), hub.WithCacheDir(t.TempDir()), hub.WithToken(""))
	req := pipelines.Request{Prompt: "a cat", NumInferenceSteps: 2, GuidanceScale: 1, Seed: 2}
	gen := func(lora string, opts ...autopipeline.Option) []float32 {
		p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", append(opts, autopipeline.WithScheduler("LCMScheduler"),
			autopipeline.WithComponent("safety_checker", nil), autopipeline.WithLoRA(lora, 1))...)
		require.NoError(t, err, lora)
		out, err := p.Generate(ctx, req)
		require.NoError(t, err)
		return tensor.F32(out.Pixels)
	}
	want := gen(td + "lora/sd_lcm.safetensors")
	for _, name := range []string{"test-org/lcm-lora", "test-org/lcm-lora/pytorch_lora_weights.safetensors",
		"https://huggingface.co/test-org/lcm-lora/blob/main/pytorch_lora_weights.safetensors"} {
		require.Equal(t, want, gen(name, hubOpt), name)
	}
	_, err = autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", hubOpt, autopipeline.WithLoRA("test-org/no-such-lora", 1))
	require.ErrorContains(t, err, "test-org/no-such-lora")
}
