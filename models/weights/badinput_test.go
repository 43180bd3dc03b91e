package weights

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

// rawFile assembles a safetensors file from a header JSON and n data bytes.
func rawFile(header string, n int) []byte {
	b := make([]byte, 8, 8+len(header)+n)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func withLength(n uint64, rest string) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

func TestOpenBadInput(t *testing.T) {
	good := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	cases := []struct {
		name, file string
		data       []byte
		want       string // substring of the error
	}{
		{"empty file", "x.safetensors", nil, "too short"},
		{"truncated length", "x.safetensors", []byte{1, 2, 3}, "too short"},
		{"truncated header", "x.safetensors", rawFile(good, 8)[:20], "runs past the end"},
		{"truncated data", "x.safetensors", rawFile(good, 4), "run past the end"},
		{"header length absurd", "x.safetensors", withLength(1<<40, "{}"), "exceeds the"},
		{"header length past file", "x.safetensors", withLength(1000, "{}"), "runs past the end"},
		{"header JSON invalid", "x.safetensors", rawFile(`{"a":`, 0), "header JSON invalid"},
		{"header not an object", "x.safetensors", rawFile(`[1,2]`, 0), "not an object"},
		{"trailing garbage", "x.safetensors", rawFile(`{} x`, 0), "header JSON invalid"},
		{"missing fields", "x.safetensors", rawFile(`{"a":{"dtype":"F32"}}`, 0), "needs dtype, shape and data_offsets"},
		{"wrong field type", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}`, 8), "invalid entry"},
		{"unknown dtype", "x.safetensors", rawFile(`{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`, 2), `unsupported dtype "F8_E4M3"`},
		{"negative dim", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, 8), "bad dimension"},
		{"size mismatch", "x.safetensors", rawFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, 8), "needs 4"},
		{"reversed offsets", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8), "invalid range"},
		{"three offsets", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}`, 8), "want [begin, end]"},
		{"overlap", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "overlap"},
		{"duplicate name", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), "appears twice"},
		{"huge shape", "x.safetensors", rawFile(`{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}`, 8), "too many elements"},
		{"metadata not strings", "x.safetensors", rawFile(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
		{"pickle by extension", "x.bin", rawFile(good, 8), "pickle"},
		{"ckpt by extension", "x.ckpt", rawFile(good, 8), "pickle"},
		{"zip content", "x.safetensors", []byte("PK\x03\x04\x14\x00\x00\x00archive/data.pkl"), "zip archive"},
		{"pickle content", "x.safetensors", []byte("\x80\x02ctorch._utils\n_rebuild_tensor_v2\n"), "pickle stream"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+"_"+c.file)
			require.NoError(t, os.WriteFile(p, c.data, 0o644))
			src, err := Open(p)
			if err == nil {
				src.Close()
			}
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, p, "the error names the file")
			if strings.Contains(c.want, "pickle") || strings.Contains(c.want, "zip") {
				require.ErrorIs(t, err, ErrPickle)
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.safetensors"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestOpenValidEdgeCases covers files that are unusual but valid: no
// tensors, zero-sized tensors, a 0-d scalar, an unaligned F32 tensor (copied),
// integer dtypes and header padding.
func TestOpenValidEdgeCases(t *testing.T) {
	hdr := `{"__metadata__":{"format":"pt"},` +
		`"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},` +
		`"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},` +
		`"odd":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},` +
		`"unaligned":{"dtype":"F32","shape":[2],"data_offsets":[5,13]},` +
		`"ids":{"dtype":"I64","shape":[2],"data_offsets":[13,29]},` +
		`"half":{"dtype":"F16","shape":[1],"data_offsets":[29,31]},` +
		`"brain":{"dtype":"BF16","shape":[1],"data_offsets":[31,33]}}   `
	b := rawFile(hdr, 33)
	data := b[8+len(hdr):]
	binary.LittleEndian.PutUint32(data[0:], 0x40490fdb) // pi
	data[4] = 200
	binary.LittleEndian.PutUint32(data[5:], 0x3f800000)  // 1
	binary.LittleEndian.PutUint32(data[9:], 0xc0000000)  // -2
	binary.LittleEndian.PutUint64(data[13:], 77)         // 77
	binary.LittleEndian.PutUint64(data[21:], ^uint64(4)) // -5
	binary.LittleEndian.PutUint16(data[29:], 0x3c00)     // 1
	binary.LittleEndian.PutUint16(data[31:], 0xc040)     // -3
	p := filepath.Join(t.TempDir(), "edge.safetensors")
	os.WriteFile(p, b, 0o644)
	src, err := Open(p)
	require.NoError(t, err)
	defer src.Close()
	want := map[string][]float32{
		"empty": {}, "scalar": {3.1415927}, "odd": {200}, "unaligned": {1, -2},
		"ids": {77, -5}, "half": {1}, "brain": {-3},
	}
	for name, w := range want {
		x, err := src.Tensor(name)
		require.NoError(t, err, "%s", name)
		testutil.RequireClose(t, w, x.Float32s(), 0, name)
	}
	info, _ := src.Info("half")
	require.Equal(t, "F16", info.DType)
}

func TestOverlapBehindEmptyTensor(t *testing.T) {
	hdr := `{"a":{"dtype":"U8","shape":[100],"data_offsets":[0,100]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[10],"data_offsets":[50,60]}}`
	_, err := parseHeader(rawFile(hdr, 100), int64(8+len(hdr)+100))
	require.ErrorContains(t, err, "overlap")
}
