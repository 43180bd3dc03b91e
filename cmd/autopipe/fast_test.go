package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFastModels runs an LCM checkpoint with its defaults (4 steps,
// guidance 8.5) and the tiny autoencoder given by --vae, and a turbo-style
// checkpoint with guidance off and a short scheduler name.
func TestFastModels(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lcm.png")
	code, stdout, stderr := autopipe(t, "text2img", "--model", td+"tiny-lcm", "--prompt", "a cat", "--seed", "1",
		"--vae", td+"tiny-taesd", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, out)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), "Steps: 4, Sampler: LCM, CFG scale: 8.5,"), "LCM defaults in the PNG parameters")

	out = filepath.Join(dir, "turbo.png")
	code, _, stderr = autopipe(t, "text2img", "--model", td+"tiny-sd-turbo", "--prompt", "a cat", "--seed", "1",
		"--num_inference_steps", "1", "--guidance_scale", "0", "--scheduler", "euler_a", "--out", out)
	require.Equal(t, 0, code, stderr)
	b, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), "Steps: 1, Sampler: Euler a, Seed: 1,"),
		"parameters of the turbo run")
}

func TestFastFlags(t *testing.T) {
	code, _, stderr := autopipe(t, "text2img", "--model", td+"tiny-sd", "--prompt", "x", "--vae", td+"tiny-taesd", "--taesd")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "exclusive")
	xl, err := isSDXL(context.Background(), td+"tiny-sdxl")
	require.NoError(t, err)
	assert.True(t, xl)
	xl, err = isSDXL(context.Background(), td+"tiny-lcm")
	require.NoError(t, err)
	assert.False(t, xl)
}
