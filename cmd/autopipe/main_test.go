package main

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

var td = testutil.Testdata() + string(filepath.Separator)

// autopipe runs the command in-process.
func autopipe(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// writePNG saves a w x h test picture (a gradient, or with mask a white
// centre square on black) and returns its path.
func writePNG(t *testing.T, dir, name string, w, h int, mask bool) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			copy(img.Pix[i:], []uint8{uint8(255 * x / w), uint8(255 * y / h), 128, 255})
		}
	}
	if mask {
		draw.Draw(img, img.Bounds(), image.Black, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(w/4, h/4, w-w/4, h-h/4), image.White, image.Point{}, draw.Src)
	}
	return testutil.WritePNG(t, dir, name, img)
}

// The CLI's image is the one the library gives for the same request, and
// the PNG carries the parameters.
func TestText2Image(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "t2i.png")
	code, stdout, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "a red cube",
		"--negative_prompt", "blurry", "--num_inference_steps", "2", "--guidance_scale", "6", "--seed", "42", "--out", out, "--quiet")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "StableDiffusionPipeline: wrote "+out+" (64x64, seed 42)\n", stdout)
	require.Empty(t, stderr, "--quiet prints no progress")

	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, autopipeline.Parameters{Prompt: "a red cube", NegativePrompt: "blurry", Steps: 2, Sampler: "PLMS",
		CFGScale: 6, Seed: 42, Width: 64, Height: 64, Model: td + "tiny-sd"}, p)

	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd")
	require.NoError(t, err)
	want, err := pipe.Generate(context.Background(), autopipeline.Request{Prompt: "a red cube", NegativePrompt: "blurry",
		NumInferenceSteps: 2, GuidanceScale: 6, Seed: 42})
	require.NoError(t, err)
	require.Equal(t, want.Images[0].(*image.NRGBA).Pix, testutil.NRGBA(img).Pix)
}

// --scheduler swaps the scheduler; several images get numbered names; the
// progress bar is drawn with --progress.
func TestText2ImageSchedulerBatchProgress(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "a cat", "--num_inference_steps", "2",
		"--scheduler", "EulerDiscreteScheduler", "--num_images_per_prompt", "2", "--seed", "1", "--progress", "--out", filepath.Join(dir, "cat.png"))
	require.Equal(t, 0, code, stderr)
	require.Equal(t, 2, strings.Count(stdout, "wrote"))
	require.Contains(t, stderr, "denoising 2 steps [##############################] 2/2")
	require.Contains(t, stderr, " s/step  ETA 0.00 s\n")
	var pix [][]uint8
	for _, name := range []string{"cat_0.png", "cat_1.png"} {
		img, p := pngout.Read(t, filepath.Join(dir, name))
		require.Equal(t, "Euler", p.Sampler)
		require.Equal(t, int64(1), p.Seed)
		require.Equal(t, "2", p.Extra["Batch size"])
		pix = append(pix, testutil.NRGBA(img).Pix)
	}
	require.NotEqual(t, pix[0], pix[1], "the two images of a batch differ")
}

func TestImage2Image(t *testing.T) {
	dir := t.TempDir()
	in := writePNG(t, dir, "in.png", 48, 32, false)
	out := filepath.Join(dir, "i2i.png")
	code, _, stderr := autopipe(t, "img2img", "--model", td+"tiny-sd", "--prompt", "a cat", "--image", in,
		"--strength", "0.5", "--num_inference_steps", "2", "--out", out)
	require.Equal(t, 0, code, stderr)
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 48, 32), img.Bounds(), "img2img keeps the input's size")
	require.Equal(t, "0.5", p.Extra["Denoising strength"])
}

func TestInpaint(t *testing.T) {
	dir := t.TempDir()
	in := writePNG(t, dir, "in.png", 32, 32, false)
	mask := writePNG(t, dir, "mask.png", 32, 32, true)
	out := filepath.Join(dir, "inpaint.png")
	for _, model := range []string{"tiny-sd", "tiny-sd-inpaint"} {
		code, stdout, stderr := autopipe(t, "inpaint", "--model", td+model, "--prompt", "a cat", "--image", in, "--mask_image", mask,
			"--height", "32", "--width", "32", "--num_inference_steps", "2", "--seed", "3", "--out", out)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "StableDiffusionInpaintPipeline: wrote")
		img, p := pngout.Read(t, out)
		require.Equal(t, image.Rect(0, 0, 32, 32), img.Bounds())
		require.Equal(t, td+model, p.Model)
	}
}

func TestSDXL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "xl.png")
	code, stdout, stderr := autopipe(t, "text2img", "--model", td+"tiny-sdxl", "--prompt", "a lion", "--prompt_2", "oil painting",
		"--num_inference_steps", "2", "--guidance_rescale", "0.7", "--clip_skip", "1", "--out", out, "-q")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr)
	require.Contains(t, stdout, "StableDiffusionXLPipeline: wrote")
	img, p := pngout.Read(t, out)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	require.Equal(t, "0.7", p.Extra["Guidance rescale"])
	require.Equal(t, "1", p.Extra["Clip skip"])
}

// SDXL-only flags on an SD checkpoint work but are reported as ignored.
func TestSDXLFlagOnSDPipeline(t *testing.T) {
	code, _, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "a cat", "--prompt_2", "x",
		"--num_inference_steps", "1", "--out", filepath.Join(t.TempDir(), "x.png"))
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "prompt_2 and negative_prompt_2 are only used by Stable Diffusion XL pipelines")
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	in := writePNG(t, dir, "in.png", 32, 32, false)
	wide := writePNG(t, dir, "wide.png", 48, 32, true)
	sd := td + "tiny-sd"
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no arguments", nil, 2, "Subcommands:"},
		{"unknown subcommand", []string{"txt2img"}, 2, `unknown subcommand "txt2img"`},
		{"help unknown", []string{"help", "upscale"}, 2, `unknown subcommand "upscale"`},
		{"bad dtype", []string{"text2img", "--model", sd, "--prompt", "x", "--dtype", "int8"}, 2, `--dtype "int8": want fp32, fp16 or bf16`},
		{"bad output format", []string{"text2img", "--model", sd, "--prompt", "x", "-o", "x.webp"}, 2, "cannot write .webp files"},
		{"negative threads", []string{"text2img", "--model", sd, "--prompt", "x", "--threads", "-1"}, 2, "--threads -1"},
		{"missing prompt", []string{"text2img", "--model", sd}, 2, "--prompt is required"},
		{"img2img without image", []string{"img2img", "--model", sd, "--prompt", "x"}, 2, "--image is required for img2img"},
		{"inpaint without mask", []string{"inpaint", "--model", sd, "--prompt", "x", "--image", in}, 2, "--mask_image is required"},
		{"text2img has no --image", []string{"text2img", "--model", sd, "--prompt", "x", "--image", in}, 2, "flag provided but not defined: --image"},
		{"bad number", []string{"text2img", "--model", sd, "--prompt", "x", "--num_inference_steps", "ten"}, 2, `invalid value "ten" for flag --num_inference_steps`},
		{"zero steps", []string{"text2img", "--model", sd, "--prompt", "x", "--num_inference_steps", "0"}, 2, "--num_inference_steps 0"},
		{"strength out of range", []string{"img2img", "--model", sd, "--prompt", "x", "--image", in, "--strength", "1.5"}, 2, "--strength 1.5: want a value in (0, 1]"},
		{"unknown scheduler", []string{"text2img", "--model", sd, "--prompt", "x", "--scheduler", "FancyScheduler"}, 2, "EulerDiscreteScheduler"},
		{"positional argument", []string{"text2img", "--model", sd, "a cat"}, 2, `unexpected argument "a cat"`},
		{"nonexistent model", []string{"text2img", "--model", filepath.Join(dir, "no-such-model"), "--prompt", "x"}, 1, "no-such-model: no such folder"},
		{"unsupported checkpoint", []string{"text2img", "--model", td + "tiny-unsupported", "--prompt", "x"}, 1,
			"AutoPipeline can't find a pipeline linked to ShapEImg2ImgPipeline"},
		{"missing image file", []string{"img2img", "--model", sd, "--prompt", "x", "--image", filepath.Join(dir, "nope.png")}, 1, "--image:"},
		{"invalid request", []string{"inpaint", "--model", sd, "--prompt", "x", "--image", in, "--mask_image", wide,
			"--out", filepath.Join(dir, "o.png")}, 2, "invalid request: The mask and image should be the same size!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := autopipe(t, c.args...)
			require.Equal(t, c.code, code, stderr)
			require.Contains(t, stderr, c.msg)
			require.Empty(t, stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := autopipe(t, "help")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "text2img")
	code, stdout, _ = autopipe(t, "help", "inpaint")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "--mask_image, --mask string")
	require.Contains(t, stdout, "--num_inference_steps, --steps int\n    \tnumber of denoising steps (default 50)")
	require.Contains(t, stdout, "  -p, --prompt string\n")
	code, stdout, _ = autopipe(t, "img2img", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "--strength float")
	require.NotContains(t, stdout, "--mask_image")
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, []string{"text2img", "--model", td + "tiny-sd", "--prompt", "x", "--out", filepath.Join(t.TempDir(), "x.png")}, &o, &e)
	require.Equal(t, 1, code)
	require.Contains(t, e.String(), "canceled")
}
