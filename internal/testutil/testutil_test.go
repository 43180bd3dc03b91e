package testutil

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gt "gorgonia.org/tensor"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recorder) Helper()  {}
func (r *recorder) Fail()    { r.failed = true }
func (r *recorder) FailNow() { r.failed = true }
func (r *recorder) Errorf(f string, a ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(f, a...))
}
func (r *recorder) joined() string {
	var b strings.Builder
	for _, m := range r.msgs {
		b.WriteString(m)
	}
	return b.String()
}

func TestMaxAbsDiff(t *testing.T) {
	d, at := MaxAbsDiff([]float32{1, 2, 3}, []float32{1, 2.5, 2})
	assert.InDelta(t, 1.0, d, 1e-12)
	assert.Equal(t, 2, at)
	d, at = MaxAbsDiff([]float32{0, float32(math.NaN())}, []float32{5, 0})
	assert.True(t, math.IsInf(d, 1))
	assert.Equal(t, 1, at)
	inf := float32(math.Inf(1))
	d, at = MaxAbsDiff([]float32{inf, 2}, []float32{inf, 3})
	assert.InDelta(t, 1.0, d, 0, "equal infinities differ by 0")
	assert.Equal(t, 1, at)
	d, at = MaxAbsDiff(nil, nil)
	assert.Zero(t, d)
	assert.Equal(t, -1, at)
}

func TestCloseReportsWorstIndex(t *testing.T) {
	want := []float32{0, 1, 2, 3}
	r := &recorder{TB: t}
	assert.True(t, AssertClose(r, want, []float32{0, 1.00001, 2, 3}, 1e-4))
	assert.False(t, r.failed)

	r = &recorder{TB: t}
	assert.False(t, AssertClose(r, want, []float32{0, 1, 2.1, 3}, 1e-4, "case %d", 7))
	require.True(t, r.failed)
	assert.Contains(t, r.joined(), "at index 2 of 4")
	assert.Contains(t, r.joined(), "case 7")

	r = &recorder{TB: t}
	RequireClose(r, want, []float32{0, 1, 2, 3}, 0)
	assert.False(t, r.failed, "tol 0 accepts equal values")
	RequireClose(r, want, []float32{0, 1, 2, 3.0000005}, 0)
	assert.True(t, r.failed, "tol 0 rejects any difference")

	r = &recorder{TB: t}
	RequireClose(r, want, want[:3], 1)
	assert.True(t, r.failed, "a length mismatch fails")
}

func TestSameBits(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	RequireSameBits(t, []float32{1, 0, float32(math.NaN())}, []float32{1, 0, float32(math.NaN())})
	r := &recorder{TB: t}
	assert.False(t, AssertSameBits(r, []float32{1, 0}, []float32{1, negZero}, "zeros"))
	assert.Contains(t, r.joined(), "index 1 of 2")
	r = &recorder{TB: t}
	RequireSameBits(r, []float32{1, 0}, []float32{1})
	assert.True(t, r.failed, "a length mismatch fails")
}

func TestDense(t *testing.T) {
	a := gt.New(gt.WithShape(2, 2), gt.WithBacking([]float32{1, 2, 3, 4}))
	b := gt.New(gt.WithShape(2, 2), gt.WithBacking([]float32{1, 2, 3, 4.5}))
	assert.InDelta(t, 0.5, DenseMaxAbsDiff(t, a, b), 1e-12)
	RequireDenseClose(t, a, b, 0.5)

	r := &recorder{TB: t}
	RequireDenseClose(r, a, b, 0.4)
	assert.True(t, r.failed)
	r = &recorder{TB: t}
	RequireDenseClose(r, a, gt.New(gt.WithShape(4), gt.WithBacking([]float32{1, 2, 3, 4})), 1)
	assert.True(t, r.failed, "a shape mismatch fails")
}

func TestImagesWithin(t *testing.T) {
	want := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	got := image.NewRGBA(image.Rect(5, 5, 8, 7)) // another type and origin
	for y := range 2 {
		for x := range 3 {
			want.SetNRGBA(x, y, color.NRGBA{100, 100, 100, 255})
			got.SetRGBA(5+x, 5+y, color.RGBA{100, 100, 100, 255})
		}
	}
	got.SetRGBA(6, 6, color.RGBA{100, 103, 100, 255})
	d := CompareImages(t, want, got)
	assert.Equal(t, ImageDiff{Max: 3, At: image.Pt(1, 1), Channel: 1, Mean: 3.0 / 24}, d)
	RequireImagesWithin(t, want, got, 3)

	r := &recorder{TB: t}
	assert.False(t, AssertImagesWithin(r, want, got, 2, "tile %s", "x"))
	assert.True(t, r.failed)
	r = &recorder{TB: t}
	CompareImages(r, want, image.NewNRGBA(image.Rect(0, 0, 2, 2)))
	assert.True(t, r.failed, "a size mismatch fails")
}

func TestReadSafetensors(t *testing.T) {
	hdr := `{"__metadata__":{"a":"b"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	raw := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	raw = append(raw, hdr...)
	raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(1.5))
	raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(-2))
	path := filepath.Join(t.TempDir(), "g.safetensors")
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	m := LoadSafetensors(t, path)
	assert.Equal(t, Goldens{"x": {Shape: []int{2}, Data: []float32{1.5, -2}}}, m)
	assert.True(t, m.Has("x"))
	assert.False(t, m.Has("y"))
	x := m.Dense(t, "x")
	assert.Equal(t, []int{2}, []int(x.Shape()))
	assert.Equal(t, []float32{1.5, -2}, x.Data())
	r := &recorder{TB: t}
	m.Dense(r, "y")
	assert.True(t, r.failed, "a missing tensor fails")

	for name, bad := range map[string]string{
		"dtype":   `{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`,
		"offsets": `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}}`,
	} {
		raw := binary.LittleEndian.AppendUint64(nil, uint64(len(bad)))
		raw = append(append(raw, bad...), make([]byte, 8)...)
		require.NoError(t, os.WriteFile(path, raw, 0o644))
		_, err := ReadSafetensors(path)
		assert.Error(t, err, name)
	}
	require.NoError(t, os.WriteFile(path, []byte{1, 0, 0, 0, 0, 0, 0, 1}, 0o644))
	_, err := ReadSafetensors(path)
	assert.ErrorContains(t, err, "header length")
}

func TestWritePNG(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(1, 0, color.NRGBA{1, 2, 3, 255})
	path := WritePNG(t, t.TempDir(), "x.png", img)
	RequireImagesWithin(t, img, LoadPNG(t, path), 0)
}

func TestPaths(t *testing.T) {
	assert.Equal(t, filepath.Join("..", "..", "testdata", "golden", "x"), Golden("x"))
	assert.Equal(t, filepath.Join("..", "..", "testdata", "tiny-sd"), Testdata("tiny-sd"))
	_, err := os.Stat(filepath.Join(Root(), "go.mod"))
	assert.NoError(t, err)
	var m map[string]any
	LoadJSON(t, Golden("resize.json"), &m)
	assert.NotEmpty(t, m)
	img := LoadPNG(t, Golden("pipe_input_mask64.png"))
	assert.Equal(t, 64, img.Bounds().Dx())
}
