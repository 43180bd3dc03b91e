package testutil

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	gt "gorgonia.org/tensor"
)

// Tensor is one float32 tensor of a golden safetensors file.
type Tensor struct {
	Shape []int
	Data  []float32
}

// maxGoldenBytes bounds what a golden file may hold.
const maxGoldenBytes = 256 << 20

// ReadSafetensors reads every tensor of a safetensors file holding only F32
// tensors (the goldens); any other dtype is an error.
func ReadSafetensors(path string) (map[string]Tensor, error) {
	raw, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	if len(raw) < 8 {
		return nil, fmt.Errorf("%s: short file", path)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > uint64(len(raw)-8) {
		return nil, fmt.Errorf("%s: header length %d beyond the file", path, n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	data := raw[8+n:]
	out := make(map[string]Tensor, len(hdr))
	for name, msg := range hdr {
		if name == "__metadata__" {
			continue
		}
		t, err := decodeF32(data, msg)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		out[name] = t
	}
	return out, nil
}

func decodeF32(data []byte, msg json.RawMessage) (Tensor, error) {
	var info struct {
		Dtype   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(msg, &info); err != nil {
		return Tensor{}, err
	}
	if info.Dtype != "F32" {
		return Tensor{}, fmt.Errorf("dtype %s, want F32", info.Dtype)
	}
	lo, hi := info.Offsets[0], info.Offsets[1]
	if lo < 0 || hi < lo || hi > int64(len(data)) || (hi-lo)%4 != 0 {
		return Tensor{}, fmt.Errorf("data offsets %v outside %d bytes", info.Offsets, len(data))
	}
	b := data[lo:hi]
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return Tensor{Shape: info.Shape, Data: f}, nil
}

// Goldens are the tensors of one golden file, by name.
type Goldens map[string]Tensor

// LoadSafetensors is ReadSafetensors failing the test on error.
func LoadSafetensors(tb testing.TB, path string) Goldens {
	tb.Helper()
	m, err := ReadSafetensors(path)
	require.NoError(tb, err, "golden (see tools/reference)")
	return m
}

// Has reports whether the file holds a tensor called name.
func (g Goldens) Has(name string) bool {
	_, ok := g[name]
	return ok
}

// Dense returns the tensor called name as a float32 dense tensor sharing
// its data, failing the test when the file lacks it.
func (g Goldens) Dense(tb testing.TB, name string) *gt.Dense {
	tb.Helper()
	v, ok := g[name]
	require.True(tb, ok, "golden tensor %s missing", name)
	n := 1
	for _, s := range v.Shape {
		n *= s
	}
	require.Len(tb, v.Data, n, "golden tensor %s: shape %v", name, v.Shape)
	return gt.New(gt.WithBacking(v.Data), gt.WithShape(append([]int(nil), v.Shape...)...))
}

// LoadJSON decodes the JSON file at path into dst, failing the test on error.
func LoadJSON(tb testing.TB, path string, dst any) {
	tb.Helper()
	raw, err := readCapped(path)
	require.NoError(tb, err)
	require.NoError(tb, json.Unmarshal(raw, dst), "%s", path)
}

// LoadPNG decodes the PNG file at path, failing the test on error.
func LoadPNG(tb testing.TB, path string) image.Image {
	tb.Helper()
	raw, err := readCapped(path)
	require.NoError(tb, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(tb, err, "%s", path)
	return img
}

func readCapped(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxGoldenBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit for test files", path, st.Size(), maxGoldenBytes)
	}
	return os.ReadFile(path)
}
