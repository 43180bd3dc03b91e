package weights

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/tensor"
)

type common struct {
	Norm *tensor.Dense `st:"norm"`
}

type features struct {
	C      common           `st:",inline"`
	Opt    *lin             `st:"opt,optional"`
	Kept   *lin             `st:"kept,optional"`
	Nil    *lin             `st:"absent"`
	Ptrs   []*lin           `st:"ptrs"`
	Params []*tensor.Dense  `st:"params"`
	Arr    [2]common        `st:"arr"`
	Ignore *tensor.Dense    // no tag
	Dash   *tensor.Dense    `st:"-"`
	Blocks map[string][]int `st:"-"`
}

func TestLoadFeatures(t *testing.T) {
	src := MapSource{
		"norm":            tensor.FromSlice([]float32{1}, 1),
		"kept.weight":     tensor.FromSlice(seq(2, 1), 1, 2),
		"ptrs.0.weight":   tensor.FromSlice(seq(2, 1), 2, 1),
		"ptrs.1.weight":   tensor.FromSlice(seq(2, 1), 2, 1),
		"params.0":        tensor.FromSlice(seq(3, 1), 3),
		"params.1":        tensor.FromSlice(seq(4, 1), 4),
		"arr.0.norm":      tensor.FromSlice(seq(1, 1), 1),
		"arr.1.norm":      tensor.FromSlice(seq(1, 1), 1),
		"absent.weight":   tensor.New(1, 1), // the nil pointer's tensor stays unused
		"legacy.position": tensor.New(1),
	}
	f := &features{
		Opt:    &lin{in: 1, out: 1},
		Kept:   &lin{in: 2, out: 1},
		Ptrs:   []*lin{{in: 1, out: 2}, nil},
		Params: make([]*tensor.Dense, 2),
	}
	err := Load(src, f, AllowUnused("legacy"))
	var le *LoadError
	if !errors.As(err, &le) || !slices.Equal(le.Unused, []string{"absent.weight", "ptrs.1.weight"}) || len(le.Missing)+len(le.Mismatched) != 0 {
		t.Fatalf("got %v", err)
	}
	if f.Opt != nil || f.Kept == nil || f.Kept.W == nil || f.C.Norm == nil || f.Ptrs[0].W == nil ||
		f.Params[1] == nil || f.Arr[1].Norm == nil || f.Ignore != nil || f.Dash != nil {
		t.Fatalf("bad load %+v", f)
	}
}

func TestLoadRenameAndPrefix(t *testing.T) {
	// A single-file checkpoint with legacy names: two components under
	// their own prefixes, one tensor to drop.
	src := MapSource{
		"model.proj.w":   tensor.FromSlice(seq(6, 1), 2, 3),
		"model.proj.b":   tensor.FromSlice(seq(2, 1), 2),
		"model.junk":     tensor.New(1),
		"vae.enc.weight": tensor.New(3),
	}
	rename := func(s string) string {
		switch {
		case strings.HasSuffix(s, ".w"):
			return strings.TrimSuffix(s, ".w") + ".weight"
		case strings.HasSuffix(s, ".b"):
			return strings.TrimSuffix(s, ".b") + ".bias"
		case s == "model.junk":
			return ""
		}
		return s
	}
	var dst struct {
		Proj lin `st:"proj"`
	}
	dst.Proj = lin{in: 3, out: 2}
	if err := Load(src, &dst, WithPrefix("model"), WithRename(rename)); err != nil {
		t.Fatal(err)
	}
	if dst.Proj.B == nil || tensor.F32(dst.Proj.W)[5] != 5 {
		t.Fatal("not loaded")
	}
	// Missing names are reported with the prefix.
	var two struct {
		Proj  lin `st:"proj"`
		Other lin `st:"other"`
	}
	two.Proj, two.Other = lin{in: 3, out: 2}, lin{in: 1, out: 1}
	err := Load(src, &two, WithPrefix("model."), WithRename(rename))
	var le *LoadError
	if !errors.As(err, &le) || !slices.Equal(le.Missing, []string{"model.other.weight"}) || len(le.Unused) != 0 {
		t.Fatalf("got %v", err)
	}
	// Two names renamed onto one.
	err = Load(src, &dst, WithPrefix("model"), WithRename(func(s string) string {
		if s == "model.junk" {
			return "model.proj.bias"
		}
		return rename(s)
	}))
	if !errors.As(err, &le) || len(le.Duplicate) != 1 || !strings.Contains(le.Duplicate[0], "model.proj") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadProgrammingErrors(t *testing.T) {
	src := MapSource{"x": tensor.New(1)}
	var notStruct int
	var unexported struct {
		x *tensor.Dense `st:"x"`
	}
	var badType struct {
		X int `st:"x"`
	}
	var emptyName struct {
		X *tensor.Dense `st:",optional"`
	}
	for _, dst := range []any{nil, notStruct, &notStruct, (*lin)(nil), &unexported, &badType, &emptyName} {
		err := Load(src, dst)
		var le *LoadError
		if err == nil || errors.As(err, &le) {
			t.Errorf("%T: got %v", dst, err)
		}
	}
	_ = unexported.x
}

func TestTensorConcurrent(t *testing.T) {
	src, err := OpenComponent("../../testdata/golden/weights_variant", "diffusion_pytorch_model", OpenOptions{Variant: "fp16"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range src.Names() {
				if _, err := src.Tensor(n); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// lyingSource reports one shape in Info and returns another.
type lyingSource struct{ MapSource }

func (s lyingSource) Info(name string) (Info, bool) {
	return Info{Shape: []int{2, 3}, DType: "F32"}, true
}

func TestLoadSourceShapeDisagrees(t *testing.T) {
	src := lyingSource{MapSource{"proj.weight": tensor.New(3, 2)}}
	var dst struct {
		Proj lin `st:"proj"`
	}
	dst.Proj = lin{in: 3, out: 2}
	err := Load(src, &dst)
	if err == nil || !strings.Contains(err.Error(), "source returned shape [3 2], its info says [2 3]") {
		t.Fatalf("got %v", err)
	}
}
