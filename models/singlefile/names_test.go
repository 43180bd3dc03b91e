package singlefile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/models/weights"
)

func TestOpenCLIPNames(t *testing.T) {
	sd2 := openCLIPConverter(23, false)
	// SD 2.x files hold 24 blocks; the text encoder uses 23.
	ts, err := sd2("transformer.resblocks.23.attn.in_proj_weight", weights.Info{Shape: []int{3072, 1024}})
	require.NoError(t, err)
	assert.Empty(t, ts)
	ts, err = sd2("text_projection", weights.Info{Shape: []int{1024, 1024}})
	require.NoError(t, err)
	assert.Empty(t, ts)
	_, err = sd2("transformer.resblocks.24.ln_1.weight", weights.Info{Shape: []int{1024}})
	assert.ErrorContains(t, err, "layer 24 beyond the 23")

	xl := openCLIPConverter(32, true)
	ts, err = xl("transformer.resblocks.3.attn.in_proj_bias", weights.Info{Shape: []int{3840}})
	require.NoError(t, err)
	require.Len(t, ts, 3)
	assert.Equal(t, "text_model.encoder.layers.3.self_attn.v_proj.bias", ts[2].name)
	assert.Equal(t, [2]int{2560, 3840}, ts[2].mp.Rows)
	ts, err = xl("text_projection", weights.Info{Shape: []int{1280, 1280}})
	require.NoError(t, err)
	assert.True(t, ts[0].mp.Transpose)
	_, err = xl("transformer.resblocks.32.ln_1.weight", weights.Info{Shape: []int{1280}})
	assert.Error(t, err)
}

func TestUNetName(t *testing.T) {
	for ldm, want := range map[string]string{
		"input_blocks.1.1.proj_in":            "down_blocks.0.attentions.0.proj_in",
		"input_blocks.3.0.op":                 "down_blocks.0.downsamplers.0.conv",
		"input_blocks.4.0.skip_connection":    "down_blocks.1.resnets.0.conv_shortcut",
		"middle_block.1.transformer_blocks.0": "mid_block.attentions.0.transformer_blocks.0",
		"output_blocks.2.1.conv":              "up_blocks.0.upsamplers.0.conv",
		"output_blocks.5.2.conv":              "up_blocks.1.upsamplers.0.conv",
		"output_blocks.5.1.proj_out":          "up_blocks.1.attentions.2.proj_out",
		"time_embed.2":                        "time_embedding.linear_2",
		"label_emb.0.0":                       "add_embedding.linear_1",
	} {
		got, err := UNetName(ldm, 2)
		require.NoError(t, err, ldm)
		assert.Equal(t, want, got, ldm)
	}
}
