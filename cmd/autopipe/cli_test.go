package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/pngout"
	"github.com/stretchr/testify/require"
)

// The short and dashed forms give the same image and parameters as
// diffusers' flag names.
func TestAliases(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.png")
	short := filepath.Join(dir, "short.png")
	code, _, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "a cat", "--negative_prompt", "a dog",
		"--num_inference_steps", "2", "--guidance_scale", "5", "--seed", "9", "--width", "32", "--height", "48",
		"--scheduler", "EulerAncestralDiscreteScheduler", "--out", long, "-q")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", "a cat", "-n", "a dog",
		"--steps", "2", "--cfg-scale", "5", "-s", "9", "-W", "32", "-H", "48", "--sampler", "euler_a", "-o", short, "--quiet")
	require.Equal(t, 0, code, stderr)
	imgL, pL := pngout.Read(t, long)
	imgS, pS := pngout.Read(t, short)
	require.Equal(t, testutil.NRGBA(imgL).Pix, testutil.NRGBA(imgS).Pix)
	require.Equal(t, pL, pS)
	require.Equal(t, "Euler a", pS.Sampler)
	require.Equal(t, image.Rect(0, 0, 32, 48), imgS.Bounds())
}

// Every sampler runs by its short name and is written under its A1111 name.
func TestSamplerShortNames(t *testing.T) {
	dir := t.TempDir()
	for _, s := range autopipeline.Samplers() {
		out := filepath.Join(dir, s.Short+".png")
		code, _, stderr := autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", "x", "--steps", "2", "--sampler", s.Short, "-o", out, "-q")
		require.Equal(t, 0, code, stderr)
		_, p := pngout.Read(t, out)
		require.Equal(t, s.A1111, p.Sampler, s.Short)
	}
	code, _, stderr := autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", "x", "--sampler", "DPM++ 2M Karras", "--steps", "2",
		"-o", filepath.Join(dir, "k.png"), "-q")
	require.Equal(t, 0, code, stderr)
	_, p := pngout.Read(t, filepath.Join(dir, "k.png"))
	require.Equal(t, "DPM++ 2M Karras", p.Sampler)
}

// Each image of a batch records its seed and batch position; generating
// the batch again from the parameters gives that image back.
func TestMetadataReproducesEachImage(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", "a cat", "--steps", "2", "-b", "3", "-s", "5",
		"--cfg-scale", "4", "-o", filepath.Join(dir, "b.png"), "-q")
	require.Equal(t, 0, code, stderr)
	for i := 0; i < 3; i++ {
		img, p := pngout.Read(t, numbered(filepath.Join(dir, "b.png"), i))
		require.Equal(t, map[string]string{"Batch size": "3", "Batch pos": string(rune('0' + i))}, p.Extra)
		again := filepath.Join(dir, "again.png")
		code, _, stderr := autopipe(t, "text2img", "-m", p.Model, "-p", p.Prompt, "--steps", "2", "-b", p.Extra["Batch size"],
			"-s", "5", "--cfg-scale", "4", "-o", again, "-q")
		require.Equal(t, 0, code, stderr)
		img2, p2 := pngout.Read(t, numbered(again, i))
		require.Equal(t, testutil.NRGBA(img).Pix, testutil.NRGBA(img2).Pix)
		require.Equal(t, p, p2)
	}
}

// .jpg writes a JPEG whose EXIF UserComment holds the parameters.
func TestJPEG(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.jpg")
	code, stdout, stderr := autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", `a "quoted", long, prompt: ünïcödé`, "--steps", "2",
		"-s", "3", "-o", out, "-q")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "wrote "+out)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	img, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	text, err := readJPEGComment(data)
	require.NoError(t, err)
	p, err := autopipeline.ParseParameters(text)
	require.NoError(t, err)
	require.Equal(t, autopipeline.Parameters{Prompt: `a "quoted", long, prompt: ünïcödé`, Steps: 2, Sampler: "PLMS", CFGScale: 7.5,
		Seed: 3, Width: 64, Height: 64, Model: td + "tiny-sd"}, p)

	_, err = readJPEGComment([]byte("not a jpeg"))
	require.Error(t, err)
}

// Without --model the embedded demo model runs, and the metadata names it.
func TestDefaultModelAndPlainProgress(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo.png")
	code, stdout, stderr := autopipe(t, "text2img", "-p", "a red circle", "--steps", "3", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "wrote "+out)
	for _, line := range []string{"loading " + demo.Name + " ...\n", "encoding the prompt ...\n", "denoising 3 steps: 1/3\n",
		"denoising 3 steps: 3/3  ", "decoding ...\n", "done: text encoding "} {
		require.Contains(t, stderr, line, "plain progress lines when stderr is not a terminal")
	}
	_, p := pngout.Read(t, out)
	require.Equal(t, demo.Name, p.Model)
}

func TestLoadOptions(t *testing.T) {
	dir := t.TempDir()
	for i, flags := range [][]string{{"--dtype", "fp16"}, {"--dtype", "bf16"}, {"--vae-tiling"}, {"--no-safety-checker"}, {"--threads", "1"}} {
		out := filepath.Join(dir, string(rune('a'+i))+".png")
		args := append([]string{"text2img", "-m", td + "tiny-sd", "-p", "x", "--steps", "1", "-o", out, "-q"}, flags...)
		code, _, stderr := autopipe(t, args...)
		require.Equal(t, 0, code, "%v: %s", flags, stderr)
	}
}

func TestTruncationWarning(t *testing.T) {
	long := strings.Repeat("cat ", 70) + "on a red sofa"
	code, _, stderr := autopipe(t, "text2img", "-m", td+"tiny-sd", "-p", long, "--steps", "1", "-o", filepath.Join(t.TempDir(), "x.png"), "-q")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `warning: --prompt is \d+ tokens long and the text encoder reads 75; these words are cut: ".*red sofa"`, stderr)

	n, cut := truncatedWords(func(s string) []int { return make([]int, len(s)) }, "ab cde f", 4)
	require.Equal(t, 6, n)
	require.Equal(t, "cde f", cut, "a word cut in the middle counts as cut")
	_, cut = truncatedWords(func(s string) []int { return []int{1} }, "a b", 2)
	require.Empty(t, cut)
}

func TestVersionAndHelpExitZero(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-h"}, {"text2img", "-h"}, {"inpaint", "--help"}} {
		code, stdout, _ := autopipe(t, args...)
		require.Equal(t, 0, code, args)
		require.NotEmpty(t, stdout, args)
	}
	_, stdout, _ := autopipe(t, "--version")
	require.True(t, strings.HasPrefix(stdout, "autopipe "), stdout)
}
