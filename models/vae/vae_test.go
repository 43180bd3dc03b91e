package vae

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tol = 1e-4

var goldenDir = testutil.Golden()

type fixture struct {
	name   string // golden name
	dir    string // component folder
	tiling bool
}

var fixtures = []fixture{
	{"tiny_sd", testutil.Testdata("tiny-sd", "vae"), true},
	{"tiny_sdxl", testutil.Testdata("tiny-sdxl", "vae"), true},
	{"deep", testutil.Golden("vae_deep"), true},     // 3 blocks, 2 layers, no quant_conv
	{"noattn", testutil.Golden("vae_noattn"), true}, // no mid attention, no post_quant_conv, 16 latents
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
	var m manifest
	testutil.LoadJSON(t, base+".json", &m)
	return golden{weightstest.Open(t, base+".safetensors"), m}
}

func (g golden) get(t *testing.T, name string) *tensor.Dense {
	t.Helper()
	return weightstest.Tensor(t, g.src, name)
}

func expectClose(t *testing.T, what string, got, want *tensor.Dense) {
	t.Helper()
	d := testutil.DenseMaxAbsDiff(t, got, want, what)
	t.Logf("%s: max abs err %.3g", what, d)
	assert.LessOrEqual(t, d, tol, "%s: max abs err", what)
}

// checkFixtureHash fails early, with a clear message, when the fixture
// weights are not the ones the goldens were computed from.
func checkFixtureHash(t *testing.T, dir, want string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "diffusion_pytorch_model.safetensors"))
	require.NoError(t, err)
	require.Equal(t, want, fmt.Sprintf("%x", sha256.Sum256(data)),
		"%s weights changed since the goldens were made: rerun tools/reference/golden_vae.py", dir)
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
			skipMissing(t, f.dir, testutil.Golden("vae_"+f.name+".safetensors"))
			runParity(t, f)
		})
	}
}

func runParity(t *testing.T, f fixture) {
	g := openGolden(t, f.name)
	checkFixtureHash(t, f.dir, g.man.WeightsSHA256)
	v, err := Load(f.dir, weights.OpenOptions{})
	require.NoError(t, err)
	ctx := context.Background()

	post, err := v.Encode(ctx, g.get(t, "x"))
	require.NoError(t, err)
	expectClose(t, "mean", post.Mean, g.get(t, "mean"))
	expectClose(t, "logvar", post.LogVar, g.get(t, "logvar"))
	expectClose(t, "mode", post.Mode(), g.get(t, "mean"))
	expectClose(t, "sample", post.Sample(rng.New(g.man.SampleSeed)), g.get(t, "sample"))

	dec, err := v.Decode(ctx, g.get(t, "z"))
	require.NoError(t, err)
	expectClose(t, "decoded", dec, g.get(t, "decoded"))

	if !f.tiling || g.man.Tiling == nil {
		return
	}
	tm := g.man.Tiling
	require.NoError(t, v.SetTileOptions(TileOptions{SampleMinSize: tm.Sample, LatentMinSize: tm.Latent, OverlapFactor: tm.Overlap}))
	v.SetTiling(true)
	tpost, err := v.Encode(ctx, g.get(t, "tiled_x"))
	require.NoError(t, err)
	expectClose(t, "tiled mean", tpost.Mean, g.get(t, "tiled_mean"))
	expectClose(t, "tiled logvar", tpost.LogVar, g.get(t, "tiled_logvar"))
	tdec, err := v.Decode(ctx, g.get(t, "tiled_z"))
	require.NoError(t, err)
	expectClose(t, "tiled decoded", tdec, g.get(t, "tiled_decoded"))

	// Tiling must really change the computation on inputs larger than a
	// tile (otherwise the check above proves nothing) ...
	v.SetTiling(false)
	plain, err := v.Decode(ctx, g.get(t, "tiled_z"))
	require.NoError(t, err)
	d := testutil.DenseMaxAbsDiff(t, plain, g.get(t, "tiled_decoded"), "untiled")
	assert.GreaterOrEqual(t, d, 1e-3, "untiled decode equals tiled decode: tiling not exercised")
	// ... and leave inputs within one tile untouched.
	v.SetTiling(true)
	small, err := v.Decode(ctx, g.get(t, "z"))
	require.NoError(t, err)
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
	dir := testutil.Testdata("fullsize", "vae")
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
	require.NoError(t, err)
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
		_, err := v.Encode(ctx, tensor.New(tc.shape...))
		assert.Error(t, err, "encode %s %v: no error", tc.name, tc.shape)
	}
	_, err := v.Decode(ctx, tensor.New(1, c.LatentChannels+1, 4, 4))
	assert.Error(t, err, "decode with wrong channel count: no error")
	_, err = v.Decode(ctx, nil)
	assert.Error(t, err, "decode nil: no error")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = v.Decode(cctx, tensor.New(1, c.LatentChannels, 4, 4))
	assert.ErrorIs(t, err, context.Canceled, "decode with cancelled context")
	_, err = v.Encode(cctx, tensor.New(1, c.InChannels, 16, 16))
	assert.ErrorIs(t, err, context.Canceled, "encode with cancelled context")
}

// TestLegacyAttentionNames loads the tiny VAE from a source presenting the
// mid-block attention under its legacy names (query, key, value, proj_attn)
// with 1x1-conv weights [C, C, 1, 1], and checks the decoder output is the
// same as with the current names.
func TestLegacyAttentionNames(t *testing.T) {
	skipMissing(t, fixtures[0].dir, testutil.Golden("vae_tiny_sd.safetensors"))
	c, err := ReadConfig(filepath.Join(fixtures[0].dir, "config.json"))
	require.NoError(t, err)
	src, err := weights.OpenComponent(fixtures[0].dir, "diffusion_pytorch_model", weights.OpenOptions{})
	require.NoError(t, err)
	defer src.Close()
	legacy := newRenamedSource(t, src)
	v, err := New(c)
	require.NoError(t, err)
	require.NoError(t, v.LoadFrom(legacy))
	g := openGolden(t, "tiny_sd")
	dec, err := v.Decode(context.Background(), g.get(t, "z"))
	require.NoError(t, err)
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
		require.NoError(t, err)
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
	require.NotZero(t, n, "no attention tensors renamed")
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
	require.NoError(t, err)
	assert.Equal(t, 4, c.LatentChannels, "defaults not applied: %+v", c)
	assert.Equal(t, 32, c.NormNumGroups, "defaults not applied: %+v", c)
	assert.True(t, c.UseQuantConv, "defaults not applied: %+v", c)
	assert.True(t, c.MidBlockAddAttention, "defaults not applied: %+v", c)
	assert.Nil(t, c.ShiftFactor, "defaults not applied: %+v", c)
	assert.Equal(t, 0.13025, c.ScalingFactor, "values not read: %+v", c)
	assert.False(t, c.ForceUpcast, "values not read: %+v", c)
	assert.Equal(t, 1024, c.SampleSizeInt(), "values not read: %+v", c)
	assert.Equal(t, 8, c.DownFactor(), "values not read: %+v", c)
	to := defaultTileOptions(c)
	assert.Equal(t, [3]float64{1024, 128, 0.25}, [3]float64{float64(to.SampleMinSize), float64(to.LatentMinSize), to.OverlapFactor}, "tile options %+v", to)
	c, err = ParseConfig([]byte(`{"shift_factor": 0.0609, "latents_mean": [1,2,3,4], "latents_std": [1,1,1,1], "use_quant_conv": false}`))
	require.NoError(t, err)
	if assert.NotNil(t, c.ShiftFactor, "optional values not read: %+v", c) {
		assert.Equal(t, 0.0609, *c.ShiftFactor, "optional values not read: %+v", c)
	}
	assert.Len(t, c.LatentsMean, 4, "optional values not read: %+v", c)
	assert.False(t, c.UseQuantConv, "optional values not read: %+v", c)
	v, err := New(c)
	require.NoError(t, err)
	assert.Nil(t, v.QuantConv, "use_quant_conv false must drop quant_conv only")
	assert.NotNil(t, v.PostQuantConv, "use_quant_conv false must drop quant_conv only")
	for _, bad := range []string{
		`{"block_out_channels": []}`,
		`{"down_block_types": ["CrossAttnDownBlock2D"]}`,
		`{"block_out_channels": [48]}`,
		`{"latents_mean": [1, 2]}`,
		`{"act_fn": "gelu"}`,
		`{"layers_per_block": "2"}`,
	} {
		_, err := ParseConfig([]byte(bad))
		assert.Error(t, err, "config %s: no error", bad)
	}
}

func TestBlend(t *testing.T) {
	// One row of 2 tiles: blend_h over 2 columns, weights 0 and 1/2.
	a := tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 1, 4)
	b := tensor.FromSlice([]float32{10, 20, 30, 40}, 1, 1, 1, 4)
	blendH(a, b, 2)
	want := []float32{3, 0.5*4 + 0.5*20, 30, 40}
	testutil.AssertClose(t, want, tensor.F32(b), 1e-6, "blendH")
	a = tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 4, 1)
	b = tensor.FromSlice([]float32{10, 20, 30, 40}, 1, 1, 4, 1)
	blendV(a, b, 2)
	testutil.AssertClose(t, want, tensor.F32(b), 1e-6, "blendV")
}

func TestLoadConfigValues(t *testing.T) {
	dir := testutil.Golden("vae_deep")
	skipMissing(t, dir)
	v, err := Load(dir, weights.OpenOptions{})
	require.NoError(t, err)
	c := v.Config()
	if assert.NotNil(t, c.ShiftFactor, "scaling config not read: %+v", c) {
		assert.Equal(t, 0.1159, *c.ShiftFactor, "scaling config not read: %+v", c)
	}
	assert.Equal(t, 0.3611, c.ScalingFactor, "scaling config not read: %+v", c)
	assert.False(t, c.ForceUpcast, "scaling config not read: %+v", c)
	if assert.Len(t, c.LatentsMean, 4, "latents_mean not read") {
		assert.Equal(t, -0.4, c.LatentsMean[3], "latents_mean not read: %v", c.LatentsMean)
	}
	if assert.Len(t, c.LatentsStd, 4, "latents_std not read") {
		assert.Equal(t, 1.1, c.LatentsStd[0], "latents_std not read: %v", c.LatentsStd)
	}
	assert.Nil(t, v.QuantConv, "use_quant_conv false: quant_conv must be absent")
	assert.NotNil(t, v.PostQuantConv, "use_quant_conv false: post_quant_conv present")
	to := v.TileOptions()
	assert.Equal(t, [3]float64{32, 8, 0.25}, [3]float64{float64(to.SampleMinSize), float64(to.LatentMinSize), to.OverlapFactor}, "default tile options %+v", to)
	_, err = Load(testutil.Golden(), weights.OpenOptions{})
	assert.Error(t, err, "loading a folder without config.json: no error")
}

// Under Float16 the VAE's convolution and attention weights stay float16,
// whether the attention is stored under its current names or its legacy
// 1x1-convolution form.
func TestFloat16KeepsHalf(t *testing.T) {
	skipMissing(t, fixtures[0].dir, testutil.Golden("vae_tiny_sd.safetensors"))
	v, err := Load(fixtures[0].dir, weights.OpenOptions{Precision: tensor.Float16})
	require.NoError(t, err)
	assert.True(t, tensor.IsHalf(v.Encoder.ConvIn.Weight), "conv weight")
	assert.True(t, tensor.IsHalf(v.Decoder.MidBlock.Attentions[0].ToQ.Weight), "attention weight")

	c, err := ReadConfig(filepath.Join(fixtures[0].dir, "config.json"))
	require.NoError(t, err)
	src, err := weights.OpenComponent(fixtures[0].dir, "diffusion_pytorch_model", weights.OpenOptions{})
	require.NoError(t, err)
	defer src.Close()
	legacy, err := New(c)
	require.NoError(t, err)
	require.NoError(t, legacy.LoadFrom(weights.WithPrecision(newRenamedSource(t, src), tensor.Float16)))
	assert.True(t, tensor.IsHalf(legacy.Decoder.MidBlock.Attentions[0].ToQ.Weight), "legacy attention weight")
	assert.Equal(t, tensor.HalfBits(v.Decoder.MidBlock.Attentions[0].ToQ.Weight), tensor.HalfBits(legacy.Decoder.MidBlock.Attentions[0].ToQ.Weight))
}
