package vae

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
	"github.com/stretchr/testify/require"
)

// BenchmarkDecode512 decodes one 64x64 latent to a 512x512 image with the
// full-size SD 1.5 VAE (random weights from `AUTOPIPE_FULL=1 golden_vae.py`):
//
//	go test ./models/vae -run '^$' -bench Decode512 -benchtime 1x
//
// AUTOPIPE_VAE_LATENT=n decodes an n x n latent instead; AUTOPIPE_VAE_TILE=s
// turns tiling on with latent tiles of side s (image tiles 8s).
//
// The same decode in diffusers: `golden_vae.py bench`.
func BenchmarkDecode512(b *testing.B) {
	dir := os.Getenv("AUTOPIPE_FULL_DIR")
	if dir == "" {
		dir = "/tmp/autopipe-full"
	}
	dir = filepath.Join(dir, "vae")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("%s missing: run AUTOPIPE_FULL=1 tools/reference/golden_vae.py", dir)
	}
	v, err := Load(dir, weights.OpenOptions{})
	require.NoError(b, err)
	side := 64
	if s, err := strconv.Atoi(os.Getenv("AUTOPIPE_VAE_LATENT")); err == nil && s > 0 {
		side = s // latent side; the image side is 8x
	}
	if s, err := strconv.Atoi(os.Getenv("AUTOPIPE_VAE_TILE")); err == nil && s > 0 {
		// tiled decode with latent tiles of side s (image tiles 8s)
		require.NoError(b, v.SetTileOptions(TileOptions{SampleMinSize: 8 * s, LatentMinSize: s, OverlapFactor: 0.25}))
		v.SetTiling(true)
	}
	z := rng.New(0).Randn(1, 4, side, side)
	b.ResetTimer()
	for b.Loop() {
		_, err := v.Decode(context.Background(), z)
		require.NoError(b, err)
	}
}

// BenchmarkTinyDecode512 decodes one 64x64 latent to a 512x512 image with a
// TAESD-size AutoencoderTiny (random weights from
// `tools/reference/fullsize.py taesd`, in testdata/fullsize/taesd or
// AUTOPIPE_TAESD_DIR):
//
//	go test ./models/vae -run '^$' -bench TinyDecode512 -benchtime 3x
//
// The same decode in diffusers: tools/reference/bench_taesd.py.
func BenchmarkTinyDecode512(b *testing.B) {
	for _, wino := range []bool{true, false} {
		name := "winograd"
		if !wino {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) {
			defer tensor.SetWinograd(tensor.SetWinograd(wino))
			benchTinyDecode512(b)
		})
	}
}

func benchTinyDecode512(b *testing.B) {
	dir := os.Getenv("AUTOPIPE_TAESD_DIR")
	if dir == "" {
		dir = "../../testdata/fullsize/taesd"
	}
	v, err := LoadTiny(dir, weights.OpenOptions{})
	if err != nil {
		b.Skipf("%s: %v (run tools/reference/fullsize.py taesd)", dir, err)
	}
	z := rng.New(0).Randn(1, 4, 64, 64)
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Decode(context.Background(), z); err != nil {
			b.Fatal(err)
		}
	}
}
