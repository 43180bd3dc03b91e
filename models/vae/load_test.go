package vae

import (
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyVAE reads the tiny-sd VAE's config and tensors into memory.
func tinyVAE(t *testing.T) (Config, weights.MapSource) {
	t.Helper()
	dir := testutil.Testdata("tiny-sd", "vae")
	c, err := ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	src, err := weights.OpenComponent(dir, "diffusion_pytorch_model", weights.OpenOptions{})
	require.NoError(t, err)
	defer src.Close()
	m := weights.MapSource{}
	for _, n := range src.Names() {
		x, err := src.Tensor(n)
		require.NoError(t, err)
		m[n] = tensor.Clone(x)
	}
	return c, m
}

// TestLoadFromStrict checks that the VAE's load reports a bias its
// configuration needs but the checkpoint lacks, and a checkpoint tensor the
// model has no place for, in one LoadError.
func TestLoadFromStrict(t *testing.T) {
	c, src := tinyVAE(t)
	require.Contains(t, src, "decoder.conv_out.bias")
	delete(src, "decoder.conv_out.bias")
	src["decoder.extra.weight"] = tensor.New(1)
	v, err := New(c)
	require.NoError(t, err)
	var le *weights.LoadError
	require.ErrorAs(t, v.LoadFrom(src), &le)
	assert.Equal(t, []string{"decoder.conv_out.bias"}, le.Missing)
	assert.Equal(t, []string{"decoder.extra.weight"}, le.Unused)
}
