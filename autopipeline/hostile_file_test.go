package autopipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

// A checkpoint file cut short after loading (the weights are mapped, not
// copied) makes Generate return an error; the process is not killed by the
// fault of reading past the end of the file.
func TestCheckpointTruncatedAfterLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny-sd")
	require.NoError(t, os.CopyFS(dir, os.DirFS(td+"tiny-sd")))
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, dir)
	require.NoError(t, err)
	req := autopipeline.Request{Prompt: "a cat", NumInferenceSteps: 2, Seed: 1}
	_, err = pipe.Generate(ctx, req)
	require.NoError(t, err, "the intact checkpoint runs")

	require.NoError(t, os.Truncate(filepath.Join(dir, "unet", "diffusion_pytorch_model.safetensors"), 4096))
	_, err = pipe.Generate(ctx, req)
	require.Error(t, err)
	require.ErrorIs(t, err, autopipeline.ErrFileChanged)
	require.ErrorContains(t, err, "a mapped file was changed or cut short while in use")
	t.Log(err)
}
