package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// bfLayer is a layer whose weight may be stored in 16 bits, like nn.Linear.
type bfLayer struct {
	Weight *tensor.Dense `st:"weight"`
	Bias   *tensor.Dense `st:"bias"`
}

func (*bfLayer) HalfWeights() []string { return []string{"weight"} }

var bfValues = []float32{0.1, -1.5, 3.14159, 1e-3, 65504, -0.33333}

// bfFile writes a safetensors file holding the weight (in dtype) and an
// F32 bias, both with bfValues.
func bfFile(t *testing.T, dtype string) string {
	var w []byte
	switch dtype {
	case "F32":
		for _, v := range bfValues {
			w = binary.LittleEndian.AppendUint32(w, math.Float32bits(v))
		}
	case "F16":
		for _, v := range bfValues {
			w = binary.LittleEndian.AppendUint16(w, f32ToF16Bits(v))
		}
	case "BF16":
		for _, v := range bfValues {
			w = binary.LittleEndian.AppendUint16(w, tensor.BF16Round(v))
		}
	}
	var bias []byte
	for _, v := range bfValues {
		bias = binary.LittleEndian.AppendUint32(bias, math.Float32bits(v))
	}
	hdr := fmt.Sprintf(`{"weight":{"dtype":%q,"shape":[2,3],"data_offsets":[0,%d]},"bias":{"dtype":"F32","shape":[6],"data_offsets":[%d,%d]}}`,
		dtype, len(w), len(w), len(w)+len(bias))
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(append(append(b, hdr...), w...), bias...)
	path := filepath.Join(t.TempDir(), dtype+".safetensors")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// WithPrecision(BFloat16) stores the weights of 16-bit capable layers as
// bfloat16 bits (a view of BF16 files, rounded from F16 and F32 files);
// other tensors are float32 rounded to bfloat16 values.
func TestBFloat16Storage(t *testing.T) {
	for _, dtype := range []string{"F32", "F16", "BF16"} {
		t.Run(dtype, func(t *testing.T) {
			src, err := Open(bfFile(t, dtype))
			require.NoError(t, err)
			defer src.Close()
			var l, l2 bfLayer
			require.NoError(t, Load(WithPrecision(src, tensor.BFloat16), &l))
			require.True(t, tensor.IsBF16(l.Weight), "weight stored as bfloat16")
			require.Equal(t, []int{2, 3}, tensor.Shape(l.Weight))
			for i, v := range bfValues {
				stored := v
				if dtype == "F16" {
					stored = roundF16(v)
				}
				require.Equalf(t, tensor.BF16Round(stored), tensor.BF16Bits(l.Weight)[i], "weight %d", i)
				require.Equalf(t, roundBF16(v), tensor.F32(l.Bias)[i], "bias %d", i)
			}
			require.NoError(t, Load(WithPrecision(src, tensor.BFloat16), &l2))
			same := &tensor.BF16Bits(l.Weight)[0] == &tensor.BF16Bits(l2.Weight)[0]
			require.Equal(t, dtype == "BF16", same, "BF16 files are viewed, not copied")

			var h bfLayer
			require.NoError(t, Load(WithPrecision(src, tensor.Float16), &h))
			require.True(t, tensor.IsHalf(h.Weight), "Float16 keeps float16 storage")
		})
	}
}
