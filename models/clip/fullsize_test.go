package clip

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullsizeDir holds the ViT-L/14 text encoder with random weights written by
// `tools/reference/golden_clip.py --fullsize` (git-ignored).
var fullsizeDir = filepath.Join(repoRoot, "testdata/fullsize/clip_vitl14")

func needFullsize(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(fullsizeDir, "golden.safetensors")); err != nil {
		tb.Skip("no full-size CLIP fixture; run tools/reference/golden_clip.py --fullsize")
	}
}

func TestTextModelFullsize(t *testing.T) {
	needFullsize(t)
	m, err := LoadTextModel(fullsizeDir, weights.OpenOptions{})
	require.NoError(t, err)
	src := weightstest.Open(t, filepath.Join(fullsizeDir, "golden.safetensors"))
	ids := idsOf(weightstest.Tensor(t, src, "ids"))
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(t, err)
	for i, p := range []string{"a photo of an astronaut riding a horse on mars, highly detailed, 8k", ""} {
		assert.Equal(t, ids[i], tok.Encode(p), "tokenizer %q", p)
	}
	out, err := m.Forward(context.Background(), ids)
	require.NoError(t, err)
	n := len(out.HiddenStates) - 1
	for _, c := range []string{"last_hidden", "penultimate", "pooled"} {
		got := out.LastHidden
		switch c {
		case "penultimate":
			got = out.HiddenStates[n-1]
		case "pooled":
			got = out.Pooled
		}
		d := testutil.DenseMaxAbsDiff(t, got, weightstest.Tensor(t, src, c))
		t.Logf("full-size ViT-L/14 %s: max abs err %.3g", c, d)
		assert.LessOrEqual(t, d, 1e-4, "%s: max abs err", c)
	}
}

// BenchmarkTextModelViTL14 encodes one 77-token prompt with the full-size
// ViT-L/14 text encoder (SD 1.x).
func BenchmarkTextModelViTL14(b *testing.B) {
	needFullsize(b)
	m, err := LoadTextModel(fullsizeDir, weights.OpenOptions{})
	require.NoError(b, err)
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(b, err)
	ids := [][]int{tok.Encode("a photo of an astronaut riding a horse on mars, highly detailed, 8k")}
	ctx := context.Background()
	_, err = m.Forward(ctx, ids)
	require.NoError(b, err)
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		_, err := m.Forward(ctx, ids)
		require.NoError(b, err)
		n++
	}
	// CPU time of the whole process per forward: a figure that stays
	// meaningful when other processes share the cores.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(n)/1e6, "cpu-ms/op")
}

// processCPU returns user+system CPU time of the process in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
