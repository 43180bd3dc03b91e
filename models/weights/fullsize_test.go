package weights

import (
	"os"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

// TestFullSizeCheckpoint opens a real checkpoint (opt-in: AUTOPIPE_FULL=1
// and testdata/fullsize/clip_vitl14/model.safetensors present), loads every
// tensor into a generated struct and touches every value, logging timings.
func TestFullSizeCheckpoint(t *testing.T) {
	path := testutil.Testdata("fullsize", "clip_vitl14", "model.safetensors")
	if os.Getenv("AUTOPIPE_FULL") != "1" {
		t.Skip("set AUTOPIPE_FULL=1")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Skip(err)
	}
	start := time.Now()
	src, err := Open(path)
	require.NoError(t, err)
	defer src.Close()
	opened := time.Since(start)
	dtypes := map[string]int{}
	for _, n := range src.Names() {
		info, _ := src.Info(n)
		dtypes[info.DType]++
	}
	start = time.Now()
	dst := structFor(t, shapesOf(src))
	built := time.Since(start)
	start = time.Now()
	err = Load(src, dst, AllowUnused("text_model.embeddings.position_ids"))
	require.NoError(t, err)
	loaded := time.Since(start)
	start = time.Now()
	var sum float64
	for _, n := range src.Names() {
		x, _ := src.Tensor(n)
		for _, v := range x.Float32s() {
			sum += float64(v)
		}
	}
	touched := time.Since(start)
	t.Logf("%s: %d MB, %d tensors %v; open %v, struct %v, load %v, read all %v (%.0f MB/s), sum %g",
		path, st.Size()>>20, len(src.Names()), dtypes, opened, built, loaded, touched,
		float64(st.Size())/1e6/touched.Seconds(), sum)
}
