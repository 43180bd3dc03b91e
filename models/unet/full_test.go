package unet

import (
	"context"
	"github.com/goautopipe/diffusers/internal/procstat"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Opt-in checks at full size. TestFullSizeGolden compares against diffusers
// on the full-size random-weight UNets of testdata/fullsize (AUTOPIPE_FULL=1);
// BenchmarkForwardSD15 times one SD 1.5-size forward (64x64 latents, batch 2)
// on random weights generated here:
//
//	go test ./models/unet -run '^$' -bench ForwardSD15 -benchtime 1x

// sd15ConfigJSON is the UNet config.json of runwayml/stable-diffusion-v1-5.
const sd15ConfigJSON = `{
  "_class_name": "UNet2DConditionModel",
  "act_fn": "silu",
  "attention_head_dim": 8,
  "block_out_channels": [320, 640, 1280, 1280],
  "center_input_sample": false,
  "cross_attention_dim": 768,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "downsample_padding": 1,
  "flip_sin_to_cos": true,
  "freq_shift": 0,
  "in_channels": 4,
  "layers_per_block": 2,
  "mid_block_scale_factor": 1,
  "norm_eps": 1e-05,
  "norm_num_groups": 32,
  "out_channels": 4,
  "sample_size": 64,
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
}
`

// randomize fills every layer of m with random weights (scaled so that
// activations stay bounded).
func randomize(v reflect.Value, r *rand.Rand) {
	fill := func(shape ...int) *tensor.Dense {
		t := tensor.New(shape...)
		fan := 1
		for _, s := range shape[1:] {
			fan *= s
		}
		if len(shape) == 1 {
			fan = 1
		}
		sc := float32(1 / float64(fan))
		if fan > 1 {
			sc = float32(1.7 / (float64(fan) + 1))
		}
		for i, d := 0, tensor.F32(t); i < len(d); i++ {
			d[i] = (r.Float32()*2 - 1) * sc * 4
		}
		return t
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		switch m := v.Interface().(type) {
		case *nn.Linear:
			m.Weight = fill(m.Out, m.In)
			if m.HasBias {
				m.Bias = fill(m.Out)
			}
			return
		case *nn.Conv2D:
			m.Weight = fill(m.Out, m.In, m.Kernel, m.Kernel)
			if m.HasBias {
				m.Bias = fill(m.Out)
			}
			return
		case *nn.GroupNorm:
			m.Weight, m.Bias = tensor.New(m.Channels), tensor.New(m.Channels)
			for i, d := 0, tensor.F32(m.Weight); i < len(d); i++ {
				d[i] = 1
			}
			return
		case *nn.LayerNorm:
			if m.Affine {
				m.Weight, m.Bias = tensor.New(m.Dim), tensor.New(m.Dim)
				for i, d := 0, tensor.F32(m.Weight); i < len(d); i++ {
					d[i] = 1
				}
			}
			return
		}
		randomize(v.Elem(), r)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			randomize(v.Index(i), r)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				randomize(v.Field(i), r)
			}
		}
	}
}

// collect lists every tagged tensor of a model struct by checkpoint name.
func collect(v reflect.Value, path string, out map[string]*tensor.Dense) {
	walkTagged(v, path, func(v reflect.Value, path string) bool {
		t, ok := v.Interface().(*tensor.Dense)
		if ok {
			out[path] = t
		}
		return ok
	})
}

// writeRandomUNet writes a diffusers UNet component folder with the given
// config.json and random weights into dir (unless it already has weights).
func writeRandomUNet(tb testing.TB, dir string, configJSON []byte) {
	wf := filepath.Join(dir, "diffusion_pytorch_model.safetensors")
	if _, err := os.Stat(wf); err == nil {
		return
	}
	require.NoError(tb, os.MkdirAll(dir, 0o755))
	require.NoError(tb, os.WriteFile(filepath.Join(dir, "config.json"), configJSON, 0o644))
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	require.NoError(tb, err)
	m, err := New(cfg)
	require.NoError(tb, err)
	randomize(reflect.ValueOf(m), rand.New(rand.NewPCG(1, 2)))
	ts := map[string]*tensor.Dense{}
	collect(reflect.ValueOf(m), "", ts)
	require.NoError(tb, weights.WriteFile(wf+".tmp", ts, nil))
	require.NoError(tb, os.Rename(wf+".tmp", wf))
}

// sd15RandomDir writes (once) an SD 1.5-size UNet with random weights as a
// diffusers component folder, so that the benchmark loads it memory-mapped
// as a real checkpoint would be.
func sd15RandomDir(b *testing.B) string {
	dir := os.Getenv("UNET_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "autopipe-unet-sd15-random")
	}
	writeRandomUNet(b, dir, []byte(sd15ConfigJSON))
	return dir
}

// TestWriteRandomUNet writes a random-weight UNet folder for any config
// (UNET_RANDOM_CONFIG) into UNET_RANDOM_OUT, e.g. to check a full-size
// config against diffusers with golden_unet.py --golden and
// TestCheckpointGolden.
func TestWriteRandomUNet(t *testing.T) {
	cfg, out := os.Getenv("UNET_RANDOM_CONFIG"), os.Getenv("UNET_RANDOM_OUT")
	if cfg == "" || out == "" {
		t.Skip("set UNET_RANDOM_CONFIG and UNET_RANDOM_OUT")
	}
	b, err := os.ReadFile(cfg)
	require.NoError(t, err)
	writeRandomUNet(t, out, b)
}

// benchModel is loaded once: the benchmark function runs more than once
// (b.N = 1, then the requested count) and a second mapping of the weights
// would count twice in the peak RSS.
var benchModel *Model

func BenchmarkForwardSD15(b *testing.B) {
	if benchModel == nil {
		dir := sd15RandomDir(b)
		runtime.GC()
		debug.FreeOSMemory()
		// UNET_BENCH_DTYPE=bf16 (or fp16) stores the Linear/Conv2D weights in
		// 16 bits, as WithDType does.
		var o weights.OpenOptions
		switch os.Getenv("UNET_BENCH_DTYPE") {
		case "bf16":
			o.Precision = tensor.BFloat16
		case "fp16":
			o.Precision = tensor.Float16
		}
		m, err := Load(dir, o)
		require.NoError(b, err)
		benchModel = m
	}
	m := benchModel
	r := rand.New(rand.NewPCG(3, 4))
	hw := 64
	if v, err := strconv.Atoi(os.Getenv("UNET_BENCH_HW")); err == nil && v > 0 {
		hw = v // smaller latents for profiling
	}
	sample := tensor.New(2, 4, hw, hw)
	for i, d := 0, tensor.F32(sample); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	ehs := tensor.New(2, 77, 768)
	for i, d := 0, tensor.F32(ehs); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	runtime.GC()
	// Reset the peak-RSS counter so that it reflects the forward alone
	// (plus the mapped weights it touches).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	b.ReportMetric(float64(procstat.Bytes("VmRSS"))/(1<<20), "MiB-rss-before")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		out, err := m.Forward(context.Background(), sample, []float32{10, 999}, ehs, nil)
		require.NoError(b, err)
		b.Logf("forward %.2fs, out %v", time.Since(t0).Seconds(), out.Shape())
	}
	b.StopTimer()
	// Peak RSS of the process: the mapped weights (about 3.3 GiB once all
	// pages were touched) plus the activations and garbage of the forward.
	b.ReportMetric(float64(procstat.Bytes("VmHWM"))/(1<<20), "MiB-peak-rss")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys-ms.HeapReleased)/(1<<20), "MiB-heap-retained")
}

func TestFullSizeGolden(t *testing.T) {
	if os.Getenv("AUTOPIPE_FULL") != "1" {
		t.Skip("set AUTOPIPE_FULL=1 (needs testdata/fullsize from tools/reference/fullsize.py and golden_unet.py)")
	}
	for _, name := range []string{"sd15", "sd21", "sd-inpaint", "sdxl", "sdxl-refiner"} {
		t.Run(name, func(t *testing.T) {
			dir := testutil.Testdata("fullsize", name, "unet")
			gname := "unet_full_" + strings.ReplaceAll(name, "-", "_")
			if _, err := os.Stat(testutil.Golden(gname + ".safetensors")); err != nil {
				t.Skipf("golden: %v", err)
			}
			d := runGolden(t, dir, gname)
			t.Logf("%s: max abs err %.3g", name, d)
			assert.LessOrEqual(t, d, 1e-4, "max abs err")
		})
	}
}

// TestCheckpointGolden compares any UNet folder (UNET_CHECK_DIR) with the
// golden written for it by `golden_unet.py --golden UNET_CHECK_DIR
// UNET_CHECK_GOLDEN`.
func TestCheckpointGolden(t *testing.T) {
	dir, gdir := os.Getenv("UNET_CHECK_DIR"), os.Getenv("UNET_CHECK_GOLDEN")
	if dir == "" || gdir == "" {
		t.Skip("set UNET_CHECK_DIR and UNET_CHECK_GOLDEN")
	}
	m, err := Load(dir, weights.OpenOptions{})
	require.NoError(t, err)
	src := weightstest.Open(t, filepath.Join(gdir, "unet_check.safetensors"))
	d := compareGolden(t, m, src)
	t.Logf("%s: max abs err %.3g", dir, d)
	assert.LessOrEqual(t, d, 1e-4, "max abs err")
}
