package vae

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

const tol = 1e-4

var goldenDir = "../../testdata/golden"

type fixture struct {
	name   string // golden name
	dir    string // component folder
	tiling bool
}

var fixtures = []fixture{
	{"tiny_sd", "../../testdata/tiny-sd/vae", true},
	{"tiny_sdxl", "../../testdata/tiny-sdxl/vae", true},
	{"deep", "../../testdata/golden/vae_deep", true},     // 3 blocks, 2 layers, no quant_conv
	{"noattn", "../../testdata/golden/vae_noattn", true}, // no mid attention, no post_quant_conv, 16 latents
}

type manifest struct {
	SampleSeed    uint64 `json:"sample_seed"`
	WeightsSHA256 string `json:"weights_sha256"`
	Tiling        *struct {
		Sample  int     `json:"tile_sample_min_size"`
		Latent  int     `json:"tile_latent_min_size"`
		Overlap float64 `json:"tile_overlap_factor"`
	} `json:"tiling"`
}

type golden struct {
	src weights.Source
	man manifest
}

func openGolden(t *testing.T, name string) golden {
	t.Helper()
	base := filepath.Join(goldenDir, "vae_"+name)
	src, err := weights.Open(base + ".safetensors")
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	data, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return golden{src, m}
}

func (g golden) get(t *testing.T, name string) *tensor.Dense {
	t.Helper()
	x, err := g.src.Tensor(name)
	if err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	return x
}

// maxAbsDiff compares shapes and returns the largest absolute difference.
func maxAbsDiff(t *testing.T, what string, got, want *tensor.Dense) float64 {
	t.Helper()
	gs, ws := tensor.Shape(got), tensor.Shape(want)
	if len(gs) != len(ws) {
		t.Fatalf("%s: shape %v, want %v", what, gs, ws)
	}
	for i := range gs {
		if gs[i] != ws[i] {
			t.Fatalf("%s: shape %v, want %v", what, gs, ws)
		}
	}
	var m float64
	gd, wd := tensor.F32(got), tensor.F32(want)
	for i := range gd {
		d := math.Abs(float64(gd[i]) - float64(wd[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}

func expectClose(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	d := maxAbsDiff(t, what, got, want)
	t.Logf("%s: max abs err %.3g", what, d)
	if d > tol {
		t.Errorf("%s: max abs err %.3g > %g", what, d, tol)
	}
}

// checkFixtureHash fails early, with a clear message, when the fixture
// weights are not the ones the goldens were computed from.
func checkFixtureHash(t *testing.T, dir, want string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "diffusion_pytorch_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != want {
		t.Fatalf("%s weights changed since the goldens were made (sha256 %s, golden %s): rerun tools/reference/golden_vae.py", dir, got, want)
	}
}

func skipMissing(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("fixture %s not present", p)
		}
	}
}

func TestGoldenParity(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			skipMissing(t, f.dir, "../../testdata/golden/vae_"+f.name+".safetensors")
			runParity(t, f)
		})
	}
}

func runParity(t *testing.T, f fixture) {
	g := openGolden(t, f.name)
	checkFixtureHash(t, f.dir, g.man.WeightsSHA256)
	v, err := Load(f.dir, weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	post, err := v.Encode(ctx, g.get(t, "x"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "mean", post.Mean, g.get(t, "mean"))
	expectClose(t, "logvar", post.LogVar, g.get(t, "logvar"))
	expectClose(t, "mode", post.Mode(), g.get(t, "mean"))
	expectClose(t, "sample", post.Sample(rng.New(g.man.SampleSeed)), g.get(t, "sample"))

	dec, err := v.Decode(ctx, g.get(t, "z"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "decoded", dec, g.get(t, "decoded"))

	if !f.tiling || g.man.Tiling == nil {
		return
	}
	tm := g.man.Tiling
	if err := v.SetTileOptions(TileOptions{SampleMinSize: tm.Sample, LatentMinSize: tm.Latent, OverlapFactor: tm.Overlap}); err != nil {
		t.Fatal(err)
	}
	v.SetTiling(true)
	tpost, err := v.Encode(ctx, g.get(t, "tiled_x"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "tiled mean", tpost.Mean, g.get(t, "tiled_mean"))
	expectClose(t, "tiled logvar", tpost.LogVar, g.get(t, "tiled_logvar"))
	tdec, err := v.Decode(ctx, g.get(t, "tiled_z"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "tiled decoded", tdec, g.get(t, "tiled_decoded"))

	// Tiling must really change the computation on inputs larger than a
	// tile (otherwise the check above proves nothing) ...
	v.SetTiling(false)
	plain, err := v.Decode(ctx, g.get(t, "tiled_z"))
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, "untiled", plain, g.get(t, "tiled_decoded")); d < 1e-3 {
		t.Errorf("untiled decode equals tiled decode (diff %g): tiling not exercised", d)
	}
	// ... and leave inputs within one tile untouched.
	v.SetTiling(true)
	small, err := v.Decode(ctx, g.get(t, "z"))
	if err != nil {
		t.Fatal(err)
	}
	if tensor.Shape(g.get(t, "z"))[2] <= tm.Latent && tensor.Shape(g.get(t, "z"))[3] <= tm.Latent {
		expectClose(t, "decode within one tile", small, g.get(t, "decoded"))
	}
}

// TestFullSize checks the full-size SD 1.5 VAE config with random weights
// against goldens made by `AUTOPIPE_FULL=1 golden_vae.py`, which writes them
// (and, without testdata/fullsize/vae, the weights) to $AUTOPIPE_FULL_DIR
// (default /tmp/autopipe-full).
func TestFullSize(t *testing.T) {
	if os.Getenv("AUTOPIPE_FULL") != "1" {
		t.Skip("set AUTOPIPE_FULL=1 to run the full-size VAE check")
	}
	out := os.Getenv("AUTOPIPE_FULL_DIR")
	if out == "" {
		out = "/tmp/autopipe-full"
	}
	dir := "../../testdata/fullsize/vae"
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join(out, "vae")
	}
	skipMissing(t, dir, filepath.Join(out, "vae_fullsize.safetensors"))
	saved := goldenDir
	goldenDir = out
	defer func() { goldenDir = saved }()
	runParity(t, fixture{"fullsize", dir, false})
}

func loadTiny(t *testing.T) *AutoencoderKL {
	t.Helper()
	skipMissing(t, fixtures[0].dir)
	v, err := Load(fixtures[0].dir, weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBadInputs(t *testing.T) {
	v := loadTiny(t)
	c := v.Config()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shape []int
	}{
		{"3d", []int{c.InChannels, 8, 8}},
		{"channels", []int{1, c.InChannels + 1, 8, 8}},
		{"empty", []int{1, c.InChannels, 0, 8}},
	} {
		if _, err := v.Encode(ctx, tensor.New(tc.shape...)); err == nil {
			t.Errorf("encode %s %v: no error", tc.name, tc.shape)
		}
	}
	if _, err := v.Decode(ctx, tensor.New(1, c.LatentChannels+1, 4, 4)); err == nil {
		t.Error("decode with wrong channel count: no error")
	}
	if _, err := v.Decode(ctx, nil); err == nil {
		t.Error("decode nil: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := v.Decode(cctx, tensor.New(1, c.LatentChannels, 4, 4)); !errors.Is(err, context.Canceled) {
		t.Errorf("decode with cancelled context: err %v", err)
	}
	if _, err := v.Encode(cctx, tensor.New(1, c.InChannels, 16, 16)); !errors.Is(err, context.Canceled) {
		t.Errorf("encode with cancelled context: err %v", err)
	}
}

// TestLegacyAttentionNames loads the tiny VAE from a source presenting the
// mid-block attention under its legacy names (query, key, value, proj_attn)
// with 1x1-conv weights [C, C, 1, 1], and checks the decoder output is the
// same as with the current names.
func TestLegacyAttentionNames(t *testing.T) {
	skipMissing(t, fixtures[0].dir, "../../testdata/golden/vae_tiny_sd.safetensors")
	c, err := ReadConfig(filepath.Join(fixtures[0].dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := weights.OpenComponent(fixtures[0].dir, "diffusion_pytorch_model", weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	legacy := newRenamedSource(t, src)
	v, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.LoadFrom(legacy); err != nil {
		t.Fatal(err)
	}
	g := openGolden(t, "tiny_sd")
	dec, err := v.Decode(context.Background(), g.get(t, "z"))
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "decoded (legacy names)", dec, g.get(t, "decoded"))
}

// renamedSource is an in-memory source with legacy attention names.
type renamedSource struct {
	names []string
	t     map[string]*tensor.Dense
}

func newRenamedSource(t *testing.T, src weights.Source) *renamedSource {
	r := &renamedSource{t: map[string]*tensor.Dense{}}
	repl := strings.NewReplacer(".to_q.", ".query.", ".to_k.", ".key.", ".to_v.", ".value.", ".to_out.0.", ".proj_attn.")
	n := 0
	for _, name := range src.Names() {
		x, err := src.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(name, "mid_block.attentions.") {
			newName := repl.Replace(name)
			if newName != name {
				n++
			}
			if sh := tensor.Shape(x); len(sh) == 2 {
				x = tensor.FromSlice(tensor.F32(x), sh[0], sh[1], 1, 1)
			}
			name = newName
		}
		r.names = append(r.names, name)
		r.t[name] = x
	}
	if n == 0 {
		t.Fatal("no attention tensors renamed")
	}
	return r
}

func (r *renamedSource) Names() []string { return r.names }
func (r *renamedSource) Info(name string) (weights.Info, bool) {
	x, ok := r.t[name]
	if !ok {
		return weights.Info{}, false
	}
	return weights.Info{Shape: tensor.Shape(x), DType: "F32"}, true
}
func (r *renamedSource) Tensor(name string) (*tensor.Dense, error) {
	x, ok := r.t[name]
	if !ok {
		return nil, errors.New("no tensor " + name)
	}
	return x, nil
}
func (r *renamedSource) Close() error { return nil }

func TestConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"block_out_channels": [128, 256, 512, 512],
		"down_block_types": ["DownEncoderBlock2D","DownEncoderBlock2D","DownEncoderBlock2D","DownEncoderBlock2D"],
		"up_block_types": ["UpDecoderBlock2D","UpDecoderBlock2D","UpDecoderBlock2D","UpDecoderBlock2D"],
		"layers_per_block": 2, "sample_size": 1024, "scaling_factor": 0.13025, "force_upcast": false,
		"shift_factor": null, "latents_mean": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.LatentChannels != 4 || c.NormNumGroups != 32 || !c.UseQuantConv || !c.MidBlockAddAttention || c.ShiftFactor != nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.ScalingFactor != 0.13025 || c.ForceUpcast || c.SampleSizeInt() != 1024 || c.DownFactor() != 8 {
		t.Errorf("values not read: %+v", c)
	}
	if to := defaultTileOptions(c); to.SampleMinSize != 1024 || to.LatentMinSize != 128 || to.OverlapFactor != 0.25 {
		t.Errorf("tile options %+v", to)
	}
	c, err = ParseConfig([]byte(`{"shift_factor": 0.0609, "latents_mean": [1,2,3,4], "latents_std": [1,1,1,1], "use_quant_conv": false}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShiftFactor == nil || *c.ShiftFactor != 0.0609 || len(c.LatentsMean) != 4 || c.UseQuantConv {
		t.Errorf("optional values not read: %+v", c)
	}
	v, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if v.QuantConv != nil || v.PostQuantConv == nil {
		t.Error("use_quant_conv false must drop quant_conv only")
	}
	for _, bad := range []string{
		`{"block_out_channels": []}`,
		`{"down_block_types": ["CrossAttnDownBlock2D"]}`,
		`{"block_out_channels": [48]}`,
		`{"latents_mean": [1, 2]}`,
		`{"act_fn": "gelu"}`,
		`{"layers_per_block": "2"}`,
	} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("config %s: no error", bad)
		}
	}
}

func TestBlend(t *testing.T) {
	// One row of 2 tiles: blend_h over 2 columns, weights 0 and 1/2.
	a := tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 1, 4)
	b := tensor.FromSlice([]float32{10, 20, 30, 40}, 1, 1, 1, 4)
	blendH(a, b, 2)
	want := []float32{3, 0.5*4 + 0.5*20, 30, 40}
	for i, w := range want {
		if got := tensor.F32(b)[i]; math.Abs(float64(got-w)) > 1e-6 {
			t.Errorf("blendH[%d] = %g, want %g", i, got, w)
		}
	}
	a = tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 4, 1)
	b = tensor.FromSlice([]float32{10, 20, 30, 40}, 1, 1, 4, 1)
	blendV(a, b, 2)
	for i, w := range want {
		if got := tensor.F32(b)[i]; math.Abs(float64(got-w)) > 1e-6 {
			t.Errorf("blendV[%d] = %g, want %g", i, got, w)
		}
	}
}

func TestLoadConfigValues(t *testing.T) {
	dir := "../../testdata/golden/vae_deep"
	skipMissing(t, dir)
	v, err := Load(dir, weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := v.Config()
	if c.ShiftFactor == nil || *c.ShiftFactor != 0.1159 || c.ScalingFactor != 0.3611 || c.ForceUpcast {
		t.Errorf("scaling config not read: %+v", c)
	}
	if len(c.LatentsMean) != 4 || c.LatentsMean[3] != -0.4 || len(c.LatentsStd) != 4 || c.LatentsStd[0] != 1.1 {
		t.Errorf("latents_mean/std not read: %v %v", c.LatentsMean, c.LatentsStd)
	}
	if v.QuantConv != nil || v.PostQuantConv == nil {
		t.Error("use_quant_conv false: quant_conv must be absent, post_quant_conv present")
	}
	if to := v.TileOptions(); to.SampleMinSize != 32 || to.LatentMinSize != 8 || to.OverlapFactor != 0.25 {
		t.Errorf("default tile options %+v", to)
	}
	if _, err := Load("../../testdata/golden", weights.OpenOptions{}); err == nil {
		t.Error("loading a folder without config.json: no error")
	}
}
