package weights

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.ErrorAs(t, err, &le)
	require.Equal(t, []string{"absent.weight", "ptrs.1.weight"}, le.Unused)
	require.Empty(t, le.Missing)
	require.Empty(t, le.Mismatched)
	require.Nil(t, f.Opt, "bad load %+v", f)
	require.NotNil(t, f.Kept, "bad load %+v", f)
	require.NotNil(t, f.Kept.W, "bad load %+v", f)
	require.NotNil(t, f.C.Norm, "bad load %+v", f)
	require.NotNil(t, f.Ptrs[0].W, "bad load %+v", f)
	require.NotNil(t, f.Params[1], "bad load %+v", f)
	require.NotNil(t, f.Arr[1].Norm, "bad load %+v", f)
	require.Nil(t, f.Ignore, "bad load %+v", f)
	require.Nil(t, f.Dash, "bad load %+v", f)
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
	require.NoError(t, Load(src, &dst, WithPrefix("model"), WithRename(rename)))
	require.NotNil(t, dst.Proj.B, "not loaded")
	require.Equal(t, float32(5), tensor.F32(dst.Proj.W)[5], "not loaded")
	// Missing names are reported with the prefix.
	var two struct {
		Proj  lin `st:"proj"`
		Other lin `st:"other"`
	}
	two.Proj, two.Other = lin{in: 3, out: 2}, lin{in: 1, out: 1}
	err := Load(src, &two, WithPrefix("model."), WithRename(rename))
	var le *LoadError
	require.ErrorAs(t, err, &le)
	require.Equal(t, []string{"model.other.weight"}, le.Missing)
	require.Empty(t, le.Unused)
	// Two names renamed onto one.
	err = Load(src, &dst, WithPrefix("model"), WithRename(func(s string) string {
		if s == "model.junk" {
			return "model.proj.bias"
		}
		return rename(s)
	}))
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Duplicate, 1)
	require.Contains(t, le.Duplicate[0], "model.proj")
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
		assert.Error(t, err, "%T", dst)
		assert.False(t, errors.As(err, &le), "%T: got a *LoadError for a programming error: %v", dst, err)
	}
	_ = unexported.x
}

func TestTensorConcurrent(t *testing.T) {
	src, err := OpenComponent(testutil.Golden("weights_variant"), "diffusion_pytorch_model", OpenOptions{Variant: "fp16"})
	require.NoError(t, err)
	defer src.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range src.Names() {
				if _, err := src.Tensor(n); !assert.NoError(t, err) {
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
	require.ErrorContains(t, err, "source returned shape [3 2], its info says [2 3]")
}
