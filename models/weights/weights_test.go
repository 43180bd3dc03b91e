package weights

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/tensor"
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
	if err := WriteFile(p, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	src, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got := src.Names(); !slices.Equal(got, []string{"a.bias", "a.weight"}) {
		t.Fatalf("names %v", got)
	}
	info, ok := src.Info("a.weight")
	if !ok || !slices.Equal(info.Shape, []int{2, 3}) || info.DType != "F32" {
		t.Fatalf("info %+v %v", info, ok)
	}
	w, err := src.Tensor("a.weight")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensor.F32(w), seq(6, 0.5)) || !slices.Equal(tensor.Shape(w), []int{2, 3}) {
		t.Fatalf("got %v %v", tensor.F32(w), tensor.Shape(w))
	}
	if md := src.(MetadataSource).Metadata(); md["format"] != "pt" {
		t.Fatalf("metadata %v", md)
	}
	// Views stay valid after Close.
	src.Close()
	if tensor.F32(w)[5] != 2.5 {
		t.Fatal("view changed after close")
	}
	if _, err := src.Tensor("a.bias"); err == nil {
		t.Fatal("Tensor after Close succeeded")
	}
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
	if err := Load(src, b, WithPrefix("m")); err != nil {
		t.Fatal(err)
	}
	if b.Extra != nil || b.Layers[0].B != nil || tensor.F32(b.Layers[1].W)[3] != 6 || b.Proj.B == nil {
		t.Fatalf("bad load: %+v", b)
	}
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
	if !errors.As(err, &le) {
		t.Fatalf("want LoadError, got %v", err)
	}
	if !slices.Equal(le.Missing, []string{"layers.1.weight"}) ||
		!slices.Equal(le.Unused, []string{"layers.2.weight", "stray"}) ||
		!slices.Equal(le.Mismatched, []string{"proj.weight: checkpoint [3 2], model [2 3]"}) {
		t.Fatalf("got %#v", le)
	}
	for _, s := range []string{"layers.1.weight", "stray", "checkpoint [3 2], model [2 3]"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
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
		if !errors.Is(err, ErrPickle) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
