package weights

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var goldenDir = testutil.Golden()

// TestDTypesMatchTorch compares our conversion of every stored dtype with
// torch's .to(torch.float32) of the same tensors.
func TestDTypesMatchTorch(t *testing.T) {
	src, err := Open(filepath.Join(goldenDir, "weights_dtypes.safetensors"))
	require.NoError(t, err)
	defer src.Close()
	exp, err := Open(filepath.Join(goldenDir, "weights_dtypes_expected.safetensors"))
	require.NoError(t, err)
	defer exp.Close()
	require.Len(t, src.Names(), 6)
	require.Equal(t, exp.Names(), src.Names())
	dtypes := map[string]string{}
	for _, name := range src.Names() {
		info, _ := src.Info(name)
		dtypes[name] = info.DType
		got, err := src.Tensor(name)
		require.NoError(t, err)
		want, err := exp.Tensor(name)
		require.NoError(t, err)
		require.Equal(t, []int(want.Shape()), []int(got.Shape()), "%s: shape", name)
		g, w := got.Float32s(), want.Float32s()
		for i := range w {
			if math.IsNaN(float64(w[i])) {
				require.True(t, math.IsNaN(float64(g[i])), "%s[%d]: got %v, want NaN", name, i, g[i])
				continue
			}
			require.Equal(t, math.Float32bits(w[i]), math.Float32bits(g[i]), "%s[%d]: got %v, want %v (bits)", name, i, g[i], w[i])
		}
	}
	want := map[string]string{"f16_all": "F16", "bf16": "BF16", "f64": "F64", "i64": "I64", "u8": "U8", "bool": "BOOL"}
	for k, v := range want {
		assert.Equal(t, v, dtypes[k], "%s: dtype", k)
	}
}

// TestVariantSharded opens the fp16 sharded variant diffusers wrote and
// compares it with the fp32 single file of the same (fp16-rounded) weights.
func TestVariantSharded(t *testing.T) {
	dir := filepath.Join(goldenDir, "weights_variant")
	full, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{})
	require.NoError(t, err)
	defer full.Close()
	half, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{Variant: "fp16"})
	require.NoError(t, err)
	defer half.Close()
	require.IsType(t, &sharded{}, half, "fp16 variant: want the sharded index")
	require.GreaterOrEqual(t, len(half.(*sharded).shards), 2, "want several shards")
	require.NotEmpty(t, full.Names())
	require.Equal(t, full.Names(), half.Names(), "names differ")
	for _, name := range full.Names() {
		fi, _ := full.Info(name)
		hi, _ := half.Info(name)
		require.Equal(t, "F32", fi.DType, "%s: infos %+v %+v", name, fi, hi)
		require.Equal(t, "F16", hi.DType, "%s: infos %+v %+v", name, fi, hi)
		require.Equal(t, fi.Shape, hi.Shape, "%s: infos %+v %+v", name, fi, hi)
		a, err := full.Tensor(name)
		require.NoError(t, err)
		b, err := half.Tensor(name)
		require.NoError(t, err)
		testutil.RequireClose(t, a.Float32s(), b.Float32s(), 0, "%s: values differ", name)
	}
	_, err = OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{Variant: "bf16"})
	require.ErrorIs(t, err, ErrNoWeights, "missing variant")
	require.ErrorContains(t, err, `no "bf16" variant`)
	require.ErrorContains(t, err, "diffusion_pytorch_model.safetensors")
}

func TestOpenComponentErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "diffusion_pytorch_model.bin"), []byte("\x80\x02}q\x00."), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	_, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{})
	want := "weights: no safetensors weights in " + dir + " (found diffusion_pytorch_model.bin; pickle files are not loaded)"
	require.EqualError(t, err, want)
	require.ErrorIs(t, err, ErrNoWeights)
	_, err = OpenComponent(dir, "model", OpenOptions{})
	require.ErrorContains(t, err, "looked for model.safetensors, model.safetensors.index.json")
	_, err = OpenComponent(filepath.Join(dir, "nope"), "model", OpenOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestIndexErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	shard := rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)
	os.WriteFile(filepath.Join(dir, "s1.safetensors"), shard, 0o644)
	cases := map[string]string{
		`{"weight_map":{"a":"../s1.safetensors"}}`:       "must be a file name",
		`{"weight_map":{"a":"s2.safetensors"}}`:          "no such file",
		`{"weight_map":{"b":"s1.safetensors"}}`:          `tensor "b" is not in shard`,
		`{"weight_map":{"a":"s1.bin"}}`:                  "pickle",
		`{"metadata":{}}`:                                "no weight_map",
		`{"weight_map":`:                                 "invalid JSON",
		`{"weight_map":{"a":"s1.safetensors"}} trailing`: "invalid JSON",
	}
	for js, want := range cases {
		_, err := Open(write("m.safetensors.index.json", js))
		assert.ErrorContains(t, err, want, js)
	}
	src, err := Open(write("m.safetensors.index.json", `{"metadata":{"total_size":4},"weight_map":{"a":"s1.safetensors"}}`))
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, []string{"a"}, src.Names())
}
