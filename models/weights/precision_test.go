package weights

import (
	"math"
	"math/rand"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// Every half value, widened, survives roundF16; values between two halves
// go to the nearer one (ties to even).
func TestRoundF16AllHalves(t *testing.T) {
	f := widenedHalves()
	for i, v := range f {
		if v != v {
			continue
		}
		require.Equal(t, math.Float32bits(v), math.Float32bits(roundF16(v)), "half %#04x", i)
	}
	// midpoints between consecutive positive finite halves
	for i := 0; i < 0x7bff; i++ {
		lo, hi := f[i], f[i+1]
		mid := float32((float64(lo) + float64(hi)) / 2)
		want := lo
		if i%2 == 1 {
			want = hi
		}
		if float64(mid) != (float64(lo)+float64(hi))/2 {
			continue // midpoint not representable in float32
		}
		require.Equal(t, want, roundF16(mid), "midpoint after half %#04x", i)
	}
	require.True(t, math.IsInf(float64(roundF16(70000)), 1))
}

func TestRoundBF16(t *testing.T) {
	require.Equal(t, float32(1), roundBF16(1+1.0/512))
	require.Equal(t, float32(1+1.0/64), roundBF16(1+1.0/64+1.0/1024))
}

func TestWithPrecisionRoundsTensors(t *testing.T) {
	src := MapSource{"w": tensor.FromSlice([]float32{0.1, 1.0001, 3}, 3)}
	_, wrapped := WithPrecision(src, tensor.Float32).(*precisionSource)
	require.False(t, wrapped)
	got, err := WithPrecision(src, tensor.Float16).Tensor("w")
	require.NoError(t, err)
	require.Equal(t, []float32{roundF16(0.1), 1, 3}, tensor.F32(got))
	require.NotEqual(t, float32(0.1), roundF16(0.1))

	// A real fixture: the fp16-rounded text encoder differs from the fp32 one.
	f32, err := OpenComponent(testutil.Testdata("tiny-sd", "text_encoder"), "model", OpenOptions{})
	require.NoError(t, err)
	defer f32.Close()
	f16, err := OpenComponent(testutil.Testdata("tiny-sd", "text_encoder"), "model", OpenOptions{Precision: tensor.BFloat16})
	require.NoError(t, err)
	defer f16.Close()
	name := f32.Names()[len(f32.Names())-1]
	a, err := f32.Tensor(name)
	require.NoError(t, err)
	want := append([]float32(nil), tensor.F32(a)...)
	b, err := f16.Tensor(name)
	require.NoError(t, err)
	for i, v := range tensor.F32(b) {
		require.Equal(t, roundBF16(want[i]), v)
	}
}

// Large half tensors are converted in parallel chunks; the result equals
// the sequential conversion.
func TestConvertParallelChunks(t *testing.T) {
	n := 5<<20 + 123
	raw := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		raw[2*i], raw[2*i+1] = byte(i*7), byte(i>>3)
	}
	for _, dt := range []string{"F16", "BF16"} {
		got := make([]float32, n)
		require.NoError(t, convert(got, raw, dt))
		want := make([]float32, n)
		if dt == "F16" {
			F16ToF32(want, halves(raw))
		} else {
			BF16ToF32(want, halves(raw))
		}
		testutil.RequireSameBits(t, want, got, dt)
	}
}

func TestF32ToF16Bits(t *testing.T) {
	f := widenedHalves()
	for i, v := range f {
		if v != v {
			continue
		}
		require.Equal(t, uint16(i), f32ToF16Bits(v), "half %#04x", i)
	}
	r := rand.New(rand.NewSource(2))
	one := make([]float32, 1)
	for n := 0; n < 200000; n++ {
		x := float32(r.NormFloat64() * math.Pow(2, float64(r.Intn(44)-30)))
		F16ToF32(one, []uint16{f32ToF16Bits(x)})
		require.Equal(t, math.Float32bits(roundF16(x)), math.Float32bits(one[0]), "value %g", x)
	}
	require.Equal(t, uint16(0x7c00), f32ToF16Bits(70000))
	require.Equal(t, uint16(0x7e00), f32ToF16Bits(float32(math.NaN()))&0x7e00)
}
