package weights

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/tensor"
)

// biasLin is a linear layer whose configuration decides its bias.
type biasLin struct {
	W       *tensor.Dense `st:"weight"`
	B       *tensor.Dense `st:"bias,optional"`
	hasBias bool
}

func (l *biasLin) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {2, 2}, "bias": {2}}
}

func (l *biasLin) RequiredWeights() map[string]bool { return map[string]bool{"bias": l.hasBias} }

type twoLin struct {
	A *biasLin `st:"a"`
	B *biasLin `st:"b"`
}

func TestRequirer(t *testing.T) {
	src := MapSource{
		"a.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"b.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"b.bias":   tensor.FromSlice(seq(2, 1), 2),
	}
	// a needs a bias the source lacks; b has one its configuration does not.
	m := &twoLin{A: &biasLin{hasBias: true}, B: &biasLin{}}
	var le *LoadError
	require.ErrorAs(t, Load(src, m), &le)
	assert.Equal(t, []string{"a.bias"}, le.Missing)
	assert.Equal(t, []string{"b.bias"}, le.Unused)
	assert.Nil(t, m.B.B, "a stray bias is not loaded")

	// Configured the other way round, everything matches.
	src["a.bias"] = tensor.FromSlice(seq(2, 1), 2)
	delete(src, "b.bias")
	m = &twoLin{A: &biasLin{hasBias: true}, B: &biasLin{}}
	require.NoError(t, Load(src, m))
	assert.Equal(t, []float32{0, 1}, tensor.F32(m.A.B))
}

// writeComponent writes dir/model.safetensors with the given tensors.
func writeComponent(t *testing.T, tensors map[string]*tensor.Dense) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, WriteFile(filepath.Join(dir, "model.safetensors"), tensors, nil))
	return dir
}

// closeSpy records the source LoadModel opened, to check it was closed.
func closeSpy(hasBias bool, opened *Source) Spec[*twoLin] {
	return Spec[*twoLin]{
		Name:     "test",
		Basename: "model",
		New: func(src Source) (*twoLin, error) {
			*opened = src
			return &twoLin{A: &biasLin{hasBias: hasBias}, B: &biasLin{hasBias: hasBias}}, nil
		},
	}
}

func TestLoadModelClosesSource(t *testing.T) {
	dir := writeComponent(t, map[string]*tensor.Dense{
		"a.weight": tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2),
		"b.weight": tensor.FromSlice([]float32{5, 6, 7, 8}, 2, 2),
	})
	for _, hasBias := range []bool{false, true} {
		var src Source
		m, err := LoadModel(dir, OpenOptions{}, closeSpy(hasBias, &src))
		require.NotNil(t, src)
		_, terr := src.Tensor("a.weight")
		assert.ErrorContains(t, terr, "closed", "hasBias=%v: source left open", hasBias)
		if !hasBias {
			require.NoError(t, err)
			// Loaded tensors stay readable after Close.
			assert.Equal(t, []float32{5, 6, 7, 8}, tensor.F32(m.B.W))
			continue
		}
		var le *LoadError
		require.ErrorAs(t, err, &le)
		assert.Nil(t, m)
		assert.Equal(t, []string{"a.bias", "b.bias"}, le.Missing)
		assert.ErrorContains(t, err, "test: load "+dir)
	}
}

func TestFillFollowsSpec(t *testing.T) {
	src := MapSource{
		"old.a.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"old.b.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"old.extra":    tensor.New(1),
	}
	var finished bool
	s := Spec[*twoLin]{
		View: func(src Source) Source { return src },
		Options: func(Source) []Option {
			return []Option{WithRename(func(n string) string { return n[len("old."):] })}
		},
		Finish: func(*twoLin) error { finished = true; return nil },
	}
	m := &twoLin{A: &biasLin{}, B: &biasLin{}}
	// The caller's options come after the spec's.
	require.NoError(t, Fill(src, m, s, AllowUnused("extra")))
	assert.True(t, finished)

	s.Finish = func(*twoLin) error { return errors.New("finish failed") }
	assert.EqualError(t, Fill(src, &twoLin{A: &biasLin{}, B: &biasLin{}}, s, AllowUnused("extra")), "finish failed")
	var le *LoadError
	require.ErrorAs(t, Fill(src, &twoLin{A: &biasLin{}, B: &biasLin{}}, s), &le)
	assert.Equal(t, []string{"old.extra"}, le.Unused)
}
