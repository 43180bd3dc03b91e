package unet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// bf16Golden is the JSON of a golden_bf16.py output.
type bf16Golden struct {
	Inputs string `json:"inputs"`
	Torch  struct {
		MaxAbs  float64 `json:"max_abs"`
		MeanAbs float64 `json:"mean_abs"`
	} `json:"torch_bf16_vs_fp32"`
}

// The bfloat16 mode against diffusers' bfloat16 run of the same tiny UNet:
// its deviation from the fp32 output (max and mean abs) is no worse than
// PyTorch's own, and it stays within twice that of PyTorch's bfloat16
// output, for the float32 fallback and every bfloat16 GEMM.
func TestBFloat16AgainstTorch(t *testing.T) {
	for _, c := range []struct{ fixture, golden string }{
		{"tiny-sd", "unet_bf16_tiny_sd"}, {"tiny-sd2", "unet_bf16_tiny_sd2"}, {"tiny-sdxl", "unet_bf16_tiny_sdxl"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			raw, err := os.ReadFile(testutil.Golden(c.golden + ".json"))
			require.NoError(t, err, "run tools/reference/golden_bf16.py")
			var g bf16Golden
			require.NoError(t, json.Unmarshal(raw, &g))
			in := weightstest.Open(t, testutil.Golden(g.Inputs+".safetensors"))
			torchBF16 := tensor.F32(weightstest.Tensor(t, weightstest.Open(t, testutil.Golden(c.golden+".safetensors")), "out_bf16"))
			fp32 := tensor.F32(weightstest.Tensor(t, in, "out"))
			m, err := Load(filepath.Join("..", "..", "testdata", c.fixture, "unet"), weights.OpenOptions{Precision: tensor.BFloat16})
			require.NoError(t, err)
			require.True(t, tensor.IsBF16(m.ConvIn.Weight))

			old := tensor.BF16Gemm()
			defer tensor.SetBF16Gemm(old)
			for _, gm := range append([]tensor.Gemm{nil}, tensor.BF16GemmImplementations()...) {
				tensor.SetBF16Gemm(gm)
				out := runOn(t, m, in)
				var maxDev, sumDev, maxTorch float64
				for i, v := range out {
					d := math.Abs(float64(v - fp32[i]))
					maxDev, sumDev = max(maxDev, d), sumDev+d
					maxTorch = max(maxTorch, math.Abs(float64(v-torchBF16[i])))
				}
				meanDev := sumDev / float64(len(out))
				t.Logf("%v: vs fp32 max %.3g mean %.3g (torch bf16: %.3g, %.3g); vs torch bf16 max %.3g",
					gemmName(gm), maxDev, meanDev, g.Torch.MaxAbs, g.Torch.MeanAbs, maxTorch)
				require.Greater(t, maxDev, 0.0, "weights rounded")
				require.LessOrEqual(t, maxDev, g.Torch.MaxAbs)
				require.LessOrEqual(t, meanDev, g.Torch.MeanAbs)
				require.LessOrEqual(t, maxTorch, 2*g.Torch.MaxAbs)
			}
		})
	}
}

func gemmName(g tensor.Gemm) string {
	if g == nil {
		return "widened"
	}
	return g.Name()
}

// runOn runs m on a golden's inputs.
func runOn(t *testing.T, m *Model, src weights.Source) []float32 {
	t.Helper()
	var added *AddedCond
	if has(src, "text_embeds") {
		added = &AddedCond{TextEmbeds: weightstest.Tensor(t, src, "text_embeds"), TimeIDs: weightstest.Tensor(t, src, "time_ids")}
	}
	out, err := m.Forward(t.Context(), weightstest.Tensor(t, src, "sample"), tensor.F32(weightstest.Tensor(t, src, "timestep")), weightstest.Tensor(t, src, "encoder_hidden_states"), added)
	require.NoError(t, err)
	return tensor.F32(out)
}
