package lora

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lora_adapter_metadata is written with Python's json, which may write
// NaN and Infinity: read it, but refuse a non-finite alpha.
func TestPEFTMetadataPythonJSON(t *testing.T) {
	got, err := peftAlphas(map[string]string{"lora_adapter_metadata": `{"unet.lora_alpha": 8, "unet.r": 4, "unet.lora_dropout": NaN, "unet.max": Infinity}`})
	require.NoError(t, err)
	assert.Equal(t, 8.0, got["unet"].alpha)
	_, err = peftAlphas(map[string]string{"lora_adapter_metadata": `{"unet.lora_alpha": NaN}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lora_alpha")
}
