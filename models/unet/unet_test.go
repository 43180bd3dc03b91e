package unet

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func has(src weights.Source, name string) bool {
	_, ok := src.Info(name)
	return ok
}

// runGolden loads testdata/<fixture>/unet, runs it on the golden inputs
// and returns the max abs error against diffusers.
func runGolden(t *testing.T, unetDir, golden string) float64 {
	t.Helper()
	if _, err := os.Stat(unetDir); err != nil {
		t.Skipf("fixture %s not present: %v", unetDir, err)
	}
	var o weights.OpenOptions
	if _, err := os.Stat(filepath.Join(unetDir, "diffusion_pytorch_model.safetensors")); err != nil {
		if _, err := os.Stat(filepath.Join(unetDir, "diffusion_pytorch_model.fp16.safetensors")); err == nil {
			o.Variant = "fp16" // as golden_unet.py: fp16 weights computed in fp32
		}
	}
	m, err := Load(unetDir, o)
	require.NoError(t, err, "load")
	return compareGolden(t, m, weightstest.Open(t, testutil.Golden(golden+".safetensors")))
}

// compareGolden runs m on a golden's inputs and returns the max abs error.
func compareGolden(t *testing.T, m *Model, src weights.Source) float64 {
	t.Helper()
	var added *AddedCond
	if has(src, "text_embeds") {
		added = &AddedCond{TextEmbeds: weightstest.Tensor(t, src, "text_embeds"), TimeIDs: weightstest.Tensor(t, src, "time_ids")}
	}
	ts := tensor.F32(weightstest.Tensor(t, src, "timestep"))
	out, err := m.Forward(context.Background(), weightstest.Tensor(t, src, "sample"), ts, weightstest.Tensor(t, src, "encoder_hidden_states"), added)
	require.NoError(t, err, "forward")
	return testutil.DenseMaxAbsDiff(t, out, weightstest.Tensor(t, src, "out"))
}

func TestFixturesGolden(t *testing.T) {
	cases := []struct{ fixture, golden string }{
		{"tiny-sd", "unet_tiny_sd"},
		{"tiny-sd", "unet_tiny_sd_odd"},
		{"tiny-sd2", "unet_tiny_sd2"},
		{"tiny-sd-inpaint", "unet_tiny_sd_inpaint"},
		{"tiny-sdxl", "unet_tiny_sdxl"},
		{"tiny-sdxl-refiner", "unet_tiny_sdxl_refiner"},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			d := runGolden(t, testutil.Testdata(c.fixture, "unet"), c.golden)
			t.Logf("%s: max abs err %.3g", c.golden, d)
			assert.LessOrEqual(t, d, 1e-4, "max abs err")
		})
	}
}
