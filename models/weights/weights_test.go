package weights

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seq(n int, scale float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i) * scale
	}
	return out
}

func TestWriteOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	in := map[string]*tensor.Dense{
		"a.weight": tensor.FromSlice(seq(6, 0.5), 2, 3),
		"a.bias":   tensor.FromSlice(seq(2, -1), 2),
	}
	require.NoError(t, WriteFile(p, in, map[string]string{"format": "pt"}))
	src, err := Open(p)
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, []string{"a.bias", "a.weight"}, src.Names())
	info, ok := src.Info("a.weight")
	require.True(t, ok)
	require.Equal(t, []int{2, 3}, info.Shape)
	require.Equal(t, "F32", info.DType)
	w, err := src.Tensor("a.weight")
	require.NoError(t, err)
	require.Equal(t, seq(6, 0.5), tensor.F32(w))
	require.Equal(t, []int{2, 3}, tensor.Shape(w))
	require.Implements(t, (*MetadataSource)(nil), src)
	md := src.(MetadataSource).Metadata()
	require.Equal(t, "pt", md["format"], "metadata %v", md)
	// Views stay valid after Close.
	src.Close()
	require.Equal(t, float32(2.5), tensor.F32(w)[5], "view changed after close")
	_, err = src.Tensor("a.bias")
	require.Error(t, err, "Tensor after Close succeeded")
}

type lin struct {
	W       *tensor.Dense `st:"weight"`
	B       *tensor.Dense `st:"bias,optional"`
	in, out int
}

func (l *lin) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {l.out, l.in}, "bias": {l.out}}
}

type block struct {
	Proj   lin   `st:"proj"`
	Layers []lin `st:"layers"`
	Extra  *lin  `st:"extra,optional"`
	Skip   *lin  `st:"skip"`
	Note   string
}

func newBlock() *block {
	return &block{Proj: lin{in: 3, out: 2}, Layers: []lin{{in: 2, out: 2}, {in: 2, out: 2}}, Extra: &lin{in: 1, out: 1}}
}

func TestLoadStructTags(t *testing.T) {
	src := MapSource{
		"m.proj.weight":     tensor.FromSlice(seq(6, 1), 2, 3),
		"m.proj.bias":       tensor.FromSlice(seq(2, 1), 2),
		"m.layers.0.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"m.layers.1.weight": tensor.FromSlice(seq(4, 2), 2, 2),
		"other.x":           tensor.New(1),
	}
	b := newBlock()
	require.NoError(t, Load(src, b, WithPrefix("m")))
	require.Nil(t, b.Extra, "bad load: %+v", b)
	require.Nil(t, b.Layers[0].B, "bad load: %+v", b)
	require.Equal(t, float32(6), tensor.F32(b.Layers[1].W)[3], "bad load: %+v", b)
	require.NotNil(t, b.Proj.B, "bad load: %+v", b)
}

func TestLoadReportsEverything(t *testing.T) {
	src := MapSource{
		"proj.weight":     tensor.FromSlice(seq(6, 1), 3, 2), // transposed
		"layers.0.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"layers.2.weight": tensor.FromSlice(seq(4, 1), 2, 2),
		"stray":           tensor.New(1),
		"allowed.buf":     tensor.New(1),
	}
	err := Load(src, newBlock(), AllowUnused("allowed"))
	var le *LoadError
	require.ErrorAs(t, err, &le)
	require.Equal(t, []string{"layers.1.weight"}, le.Missing)
	require.Equal(t, []string{"layers.2.weight", "stray"}, le.Unused)
	require.Equal(t, []string{"proj.weight: checkpoint [3 2], model [2 3]"}, le.Mismatched)
	for _, s := range []string{"layers.1.weight", "stray", "checkpoint [3 2], model [2 3]"} {
		assert.ErrorContains(t, err, s)
	}
}

func TestOpenRefusesPickle(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"x.bin":         "\x80\x02}q\x00.",
		"y.safetensors": "PK\x03\x04rest of a zip archive",
		"z.safetensors": "\x80\x04\x95....",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		_, err := Open(p)
		assert.ErrorIs(t, err, ErrPickle, name)
	}
}
