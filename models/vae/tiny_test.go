package vae

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

const tinyTAESD = "../../testdata/tiny-taesd"

func loadTAESD(t *testing.T) *AutoencoderTiny {
	t.Helper()
	v, err := LoadTiny(tinyTAESD, weights.OpenOptions{})
	require.NoError(t, err)
	return v
}

// TestTinyGolden compares AutoencoderTiny's encode, decode, forward and
// latent scaling with diffusers on the tiny-taesd fixture.
func TestTinyGolden(t *testing.T) {
	v := loadTAESD(t)
	g := openGolden(t, "taesd")
	ctx := context.Background()
	img, lat := g.get(t, "image"), g.get(t, "latents_in")

	enc, err := v.Encode(ctx, img)
	require.NoError(t, err)
	expectClose(t, "encode", enc, g.get(t, "encoded"))

	dec, err := v.Decode(ctx, lat)
	require.NoError(t, err)
	expectClose(t, "decode", dec, g.get(t, "decoded"))

	fwd, err := v.Forward(ctx, img)
	require.NoError(t, err)
	expectClose(t, "forward", fwd, g.get(t, "forward"))

	sc := v.ScaleLatents(lat)
	expectClose(t, "scale_latents", sc, g.get(t, "scaled"))
	expectClose(t, "unscale_latents", v.UnscaleLatents(sc), g.get(t, "unscaled"))
	// the input is left alone
	expectClose(t, "input kept", lat, g.get(t, "latents_in"))
}

func TestTinyConfig(t *testing.T) {
	c, err := ReadTinyConfig(tinyTAESD + "/config.json")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, c.NumEncoderBlocks)
	assert.Equal(t, []int{2, 1}, c.NumDecoderBlocks)
	assert.Equal(t, 2, c.DownFactor())
	assert.Equal(t, 1.0, c.ScalingFactor)
	assert.Equal(t, 3.0, c.LatentMagnitude)

	d, err := ParseTinyConfig([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, 8, d.DownFactor(), "TAESD defaults")

	for name, js := range map[string]string{
		"stages differ":  `{"num_encoder_blocks": [1, 3, 3]}`,
		"widths differ":  `{"decoder_block_out_channels": [64, 32, 64, 64]}`,
		"act":            `{"act_fn": "tanh"}`,
		"upsample":       `{"upsample_fn": "bilinear"}`,
		"zero scale":     `{"scaling_factor": 0}`,
		"zero magnitude": `{"latent_magnitude": 0}`,
		"huge width":     `{"encoder_block_out_channels": [100000, 100000, 100000, 100000]}`,
		"negative count": `{"num_decoder_blocks": [3, -1, 3, 1]}`,
		"latent":         `{"latent_channels": 0}`,
		"type":           `{"latent_channels": "four"}`,
	} {
		_, err := ParseTinyConfig([]byte(js))
		assert.Error(t, err, name)
	}
}

func TestTinyBadInputs(t *testing.T) {
	v := loadTAESD(t)
	ctx := context.Background()
	_, err := v.Encode(ctx, tensor.New(1, 4, 8, 8))
	assert.Error(t, err, "4-channel image")
	_, err = v.Decode(ctx, tensor.New(1, 3, 8, 8))
	assert.Error(t, err, "3-channel latents")
	_, err = v.Decode(ctx, nil)
	assert.Error(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = v.Decode(cctx, tensor.New(1, 4, 8, 8))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestTinyLoadRejectsWrongWeights(t *testing.T) {
	// tiny-sd's AutoencoderKL weights do not fit an AutoencoderTiny.
	v, err := NewTiny(DefaultTinyConfig())
	require.NoError(t, err)
	src, err := weights.Open("../../testdata/tiny-sd/vae/diffusion_pytorch_model.safetensors")
	require.NoError(t, err)
	defer src.Close()
	assert.Error(t, v.LoadFrom(src))
}

func convParams(c *nn.Conv2D) int {
	n := c.Out * c.In * c.Kernel * c.Kernel
	if c.HasBias {
		n += c.Out
	}
	return n
}

func tinyParams(layers []*tinyLayer) int {
	n := 0
	for _, l := range layers {
		switch {
		case l.Conv != nil:
			n += convParams(l.Conv)
		case l.Block != nil:
			for _, c := range l.Block.Conv {
				if c != nil {
					n += convParams(c)
				}
			}
			if l.Block.Skip != nil {
				n += convParams(l.Block.Skip)
			}
		}
	}
	return n
}

// TestTinyRealConfigs builds TAESD, TAESDXL and SDXS's tiny VAE from their
// Hub configs and checks the parameter count diffusers gives them.
func TestTinyRealConfigs(t *testing.T) {
	for _, p := range []string{"madebyollin--taesd/config.json", "madebyollin--taesdxl/config.json", "IDKiro--sdxs-512-0.9/vae/config.json"} {
		c, err := ReadTinyConfig("../../testdata/configs/" + p)
		require.NoError(t, err, p)
		v, err := NewTiny(c)
		require.NoError(t, err, p)
		assert.Equal(t, 2_445_063, tinyParams(v.Encoder.Layers)+tinyParams(v.Decoder.Layers), p)
		assert.Equal(t, 8, c.DownFactor(), p)
	}
}
