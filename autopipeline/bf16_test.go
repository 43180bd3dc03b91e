package autopipeline_test

import (
	"context"
	"math"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// WithDType(BFloat16) stores Linear and Conv2D weights as bfloat16 (the
// VAE decoder's conv_out stays float32) and computes their products in
// bfloat16 with every bfloat16 GEMM (and with the float32 fallback); the
// images stay close to the float32 ones and are deterministic.
func TestBFloat16Compute(t *testing.T) {
	ctx := context.Background()
	req := pipelines.Request{Prompt: "a castle", NumInferenceSteps: 2, Seed: 3}
	f32, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2")
	require.NoError(t, err)
	bf, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2", autopipeline.WithDType(tensor.BFloat16))
	require.NoError(t, err)
	u := bf.Components()["unet"].(*unet.Model)
	require.True(t, tensor.IsBF16(u.ConvIn.Weight), "conv weight kept as bfloat16")
	require.False(t, tensor.IsBF16(f32.Components()["unet"].(*unet.Model).ConvIn.Weight))
	v := bf.Components()["vae"].(*vae.AutoencoderKL)
	require.False(t, tensor.IsBF16(v.Decoder.ConvOut.Weight), "the image-producing conv stays float32")
	a, err := f32.Generate(ctx, req)
	require.NoError(t, err)

	old := tensor.BF16Gemm()
	defer tensor.SetBF16Gemm(old)
	for _, g := range append([]tensor.Gemm{nil}, tensor.BF16GemmImplementations()...) {
		tensor.SetBF16Gemm(g)
		b, err := bf.Generate(ctx, req)
		require.NoError(t, err)
		var maxDiff float64
		for i, v := range tensor.F32(a.Pixels) {
			maxDiff = math.Max(maxDiff, math.Abs(float64(v-tensor.F32(b.Pixels)[i])))
		}
		name := "widened"
		if g != nil {
			name = g.Name()
		}
		t.Logf("bfloat16 (%s) vs float32: max |diff| %.3g", name, maxDiff)
		require.Greater(t, maxDiff, 0.0, "the weights were rounded")
		require.Less(t, maxDiff, 0.1)
		c, err := bf.Generate(ctx, req)
		require.NoError(t, err)
		require.Equal(t, tensor.F32(b.Pixels), tensor.F32(c.Pixels))
	}
}
