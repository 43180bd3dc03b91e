package hub

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanPipeline(t *testing.T) {
	const index = `{"_class_name":"StableDiffusionXLPipeline","_ignore_files":["unet/diffusion_pytorch_model.safetensors"],
		"unet":["diffusers","UNet2DConditionModel"],"text_encoder_2":["transformers","CLIPTextModelWithProjection"],
		"tokenizer_2":["transformers","CLIPTokenizer"],"text_encoder":[null,null],"force_zeros_for_empty_prompt":true}`
	repo := []string{
		"model_index.json", "README.md",
		"unet/config.json", "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model-00001-of-00002.safetensors",
		"unet/diffusion_pytorch_model-00002-of-00002.safetensors", "unet/diffusion_pytorch_model.safetensors.index.json",
		"unet/diffusion_pytorch_model-00001-of-00002.fp16.safetensors", "unet/diffusion_pytorch_model-00002-of-00002.fp16.safetensors",
		"unet/diffusion_pytorch_model.safetensors.fp16.index.json", "unet/diffusion_pytorch_model.bin.index.json",
		"unet/diffusion_pytorch_model-00001-of-00002.bin",
		"text_encoder_2/config.json", "text_encoder_2/model.safetensors", "text_encoder_2/model.fp16.safetensors",
		"text_encoder_2/flax_model.msgpack", "text_encoder_2/sub/model.safetensors", "text_encoder_2/diagram.png",
		"tokenizer_2/vocab.json", "tokenizer_2/merges.txt", "tokenizer_2/spiece.model", "tokenizer_2/tokenizer_config.json",
		"text_encoder/config.json", "text_encoder/model.safetensors",
	}
	for _, tc := range []struct {
		variant  string
		want     []string
		fallback []string
	}{
		{"", []string{"model_index.json", "text_encoder_2/config.json", "text_encoder_2/model.safetensors",
			"tokenizer_2/merges.txt", "tokenizer_2/spiece.model", "tokenizer_2/tokenizer_config.json", "tokenizer_2/vocab.json",
			"unet/config.json", "unet/diffusion_pytorch_model-00001-of-00002.safetensors",
			"unet/diffusion_pytorch_model-00002-of-00002.safetensors", "unet/diffusion_pytorch_model.safetensors.index.json"}, nil},
		// legacy sharded variant names ("-00001-of-00002.fp16") are recognised
		{"fp16", []string{"model_index.json", "text_encoder_2/config.json", "text_encoder_2/model.fp16.safetensors",
			"tokenizer_2/merges.txt", "tokenizer_2/spiece.model", "tokenizer_2/tokenizer_config.json", "tokenizer_2/vocab.json",
			"unet/config.json", "unet/diffusion_pytorch_model-00001-of-00002.fp16.safetensors",
			"unet/diffusion_pytorch_model-00002-of-00002.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors.fp16.index.json"}, nil},
	} {
		p, err := planPipeline("o/r", []byte(index), repo, tc.variant, nil)
		require.NoError(t, err)
		assert.Equal(t, tc.want, p.files, "variant %q:\n got %q\nwant %q", tc.variant, p.files, tc.want)
		assert.Equal(t, tc.fallback, p.variantFallback, "variant %q: fallback %q", tc.variant, p.variantFallback)
	}
	// A listed component without a folder is an error naming it.
	_, err := planPipeline("o/r", []byte(`{"vae":["diffusers","AutoencoderKL"]}`), repo, "", nil)
	require.ErrorIs(t, err, ErrEntryNotFound, "got %v", err)
	t.Log(err)
}

func TestParseModelIndex(t *testing.T) {
	c, err := ParseModelIndex([]byte(`{"_class_name":"X","b":["diffusers","DDIMScheduler"],"a":[null,null],"flag":true,"list":[1,2,3]}`))
	require.NoError(t, err)
	want := []Component{{Name: "a"}, {Name: "b", Library: "diffusers", Class: "DDIMScheduler"}}
	require.Equal(t, want, c, "got %+v", c)
	require.False(t, c[0].Present(), "got %+v", c)
	require.True(t, c[1].Present(), "got %+v", c)
	_, err = ParseModelIndex([]byte(`{`))
	require.Error(t, err, "bad JSON accepted")
}
