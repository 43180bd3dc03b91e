package autopipeline_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

// copyFixture copies a tiny checkpoint (following symlinks) to a temp dir.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := td + name
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	}))
	return dst
}

// Broken checkpoints give clear errors naming what is wrong, never a panic.
func TestBrokenCheckpoints(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		break_ func(dir string)
		want   string
	}{
		{"missing model_index.json", func(d string) { os.Remove(filepath.Join(d, "model_index.json")) }, "model_index.json"},
		{"model_index.json not JSON", func(d string) { os.WriteFile(filepath.Join(d, "model_index.json"), []byte("{oops"), 0o644) }, "model_index.json"},
		{"missing unet folder", func(d string) { os.RemoveAll(filepath.Join(d, "unet")) }, "unet"},
		{"unet config wrong type", func(d string) {
			os.WriteFile(filepath.Join(d, "unet", "config.json"), []byte(`{"block_out_channels": "many"}`), 0o644)
		}, "block_out_channels"},
		{"truncated unet weights", func(d string) {
			p := filepath.Join(d, "unet", "diffusion_pytorch_model.safetensors")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, "unet"},
		{"pickle weights only", func(d string) {
			p := filepath.Join(d, "vae", "diffusion_pytorch_model.safetensors")
			os.Rename(p, filepath.Join(d, "vae", "diffusion_pytorch_model.bin"))
		}, "pickle"},
		{"unknown scheduler class", func(d string) {
			os.WriteFile(filepath.Join(d, "scheduler", "scheduler_config.json"), []byte(`{"_class_name": "FancyScheduler"}`), 0o644)
		}, "FancyScheduler"},
		{"text encoder config missing", func(d string) { os.Remove(filepath.Join(d, "text_encoder", "config.json")) }, "text_encoder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t, "tiny-sd2")
			tc.break_(dir)
			_, err := autopipeline.Text2Image.FromPretrained(ctx, dir)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "internal error", "a panic was recovered: %v", err)
		})
	}
	_, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2/unet/config.json")
	require.ErrorContains(t, err, "is a file, not a diffusers folder")
}
