package weights

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goldenDir = "../../testdata/golden"

// TestDTypesMatchTorch compares our conversion of every stored dtype with
// torch's .to(torch.float32) of the same tensors.
func TestDTypesMatchTorch(t *testing.T) {
	src, err := Open(filepath.Join(goldenDir, "weights_dtypes.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exp, err := Open(filepath.Join(goldenDir, "weights_dtypes_expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Close()
	if !slices.Equal(src.Names(), exp.Names()) || len(src.Names()) != 6 {
		t.Fatalf("names %v vs %v", src.Names(), exp.Names())
	}
	dtypes := map[string]string{}
	for _, name := range src.Names() {
		info, _ := src.Info(name)
		dtypes[name] = info.DType
		got, err := src.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := exp.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Shape(), want.Shape()) {
			t.Fatalf("%s: shape %v vs %v", name, got.Shape(), want.Shape())
		}
		g, w := got.Float32s(), want.Float32s()
		for i := range w {
			if math.IsNaN(float64(w[i])) {
				if !math.IsNaN(float64(g[i])) {
					t.Fatalf("%s[%d]: got %v, want NaN", name, i, g[i])
				}
				continue
			}
			if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
				t.Fatalf("%s[%d]: got %v (%#08x), want %v (%#08x)", name, i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
			}
		}
	}
	want := map[string]string{"f16_all": "F16", "bf16": "BF16", "f64": "F64", "i64": "I64", "u8": "U8", "bool": "BOOL"}
	for k, v := range want {
		if dtypes[k] != v {
			t.Errorf("%s: dtype %q, want %q", k, dtypes[k], v)
		}
	}
}

// TestVariantSharded opens the fp16 sharded variant diffusers wrote and
// compares it with the fp32 single file of the same (fp16-rounded) weights.
func TestVariantSharded(t *testing.T) {
	dir := filepath.Join(goldenDir, "weights_variant")
	full, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	half, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{Variant: "fp16"})
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	if _, ok := half.(*sharded); !ok {
		t.Fatalf("fp16 variant opened as %T, want the sharded index", half)
	}
	if len(half.(*sharded).shards) < 2 {
		t.Fatalf("want several shards, got %d", len(half.(*sharded).shards))
	}
	if !slices.Equal(full.Names(), half.Names()) || len(full.Names()) == 0 {
		t.Fatalf("names differ: %d vs %d", len(full.Names()), len(half.Names()))
	}
	for _, name := range full.Names() {
		fi, _ := full.Info(name)
		hi, _ := half.Info(name)
		if fi.DType != "F32" || hi.DType != "F16" || !slices.Equal(fi.Shape, hi.Shape) {
			t.Fatalf("%s: infos %+v %+v", name, fi, hi)
		}
		a, err := full.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := half.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Float32s(), b.Float32s()) {
			t.Fatalf("%s: values differ", name)
		}
	}
	if _, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{Variant: "bf16"}); !errors.Is(err, ErrNoWeights) ||
		!strings.Contains(err.Error(), `no "bf16" variant`) || !strings.Contains(err.Error(), "diffusion_pytorch_model.safetensors") {
		t.Fatalf("missing variant: %v", err)
	}
}

func TestOpenComponentErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "diffusion_pytorch_model.bin"), []byte("\x80\x02}q\x00."), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	_, err := OpenComponent(dir, "diffusion_pytorch_model", OpenOptions{})
	want := "weights: no safetensors weights in " + dir + " (found diffusion_pytorch_model.bin; pickle files are not loaded)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrNoWeights) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	_, err = OpenComponent(dir, "model", OpenOptions{})
	if err == nil || !strings.Contains(err.Error(), "looked for model.safetensors, model.safetensors.index.json") {
		t.Fatalf("got %v", err)
	}
	_, err = OpenComponent(filepath.Join(dir, "nope"), "model", OpenOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
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
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", js, err, want)
		}
	}
	src, err := Open(write("m.safetensors.index.json", `{"metadata":{"total_size":4},"weight_map":{"a":"s1.safetensors"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !slices.Equal(src.Names(), []string{"a"}) {
		t.Fatal(src.Names())
	}
}
