package weights

import (
	"math"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func allHalves() []uint16 {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	return src
}

// widenedHalves returns every half value converted to float32, indexed by
// its bit pattern.
func widenedHalves() []float32 {
	all := allHalves()
	f := make([]float32, len(all))
	F16ToF32(f, all)
	return f
}

// TestF16AsmMatchesTable converts every half value with both paths and
// compares the float32 bits.
func TestF16AsmMatchesTable(t *testing.T) {
	if !hasF16C {
		t.Skip("CPU without F16C")
	}
	src := allHalves()
	a := make([]float32, len(src))
	b := make([]float32, len(src))
	f16ToF32F16C(&a[0], &src[0], len(src))
	f16ToF32Table(b, src)
	testutil.RequireSameBits(t, b, a, "asm conversion differs from the table")
}

// TestF16Values checks the table path against values computed from the
// definition of binary16, for every finite half and the special values.
func TestF16Values(t *testing.T) {
	src := allHalves()
	got := make([]float32, len(src))
	f16ToF32Table(got, src)
	for i, h := range src {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e := int(h>>10) & 0x1f
		m := float64(h & 0x3ff)
		var want float64
		switch {
		case e == 0:
			want = sign * m * math.Pow(2, -24)
		case e < 31:
			want = sign * (1 + m/1024) * math.Pow(2, float64(e-15))
		case m == 0:
			want = sign * math.Inf(1)
		default:
			require.True(t, math.IsNaN(float64(got[i])), "half %#04x: want NaN, got %v", h, got[i])
			bits := math.Float32bits(got[i])
			require.Equal(t, uint32(h&0x1ff)<<13, bits&0x3fe000, "half %#04x: NaN payload lost: %#08x", h, bits)
			require.Equal(t, uint32(h>>15), bits>>31, "half %#04x: NaN sign lost: %#08x", h, bits)
			require.NotZero(t, bits&0x400000, "half %#04x: quiet bit lost: %#08x", h, bits)
			continue
		}
		require.Equal(t, want, float64(got[i]), "half %#04x", h)
		require.Equal(t, sign < 0, math.Signbit(float64(got[i])), "half %#04x: sign of %v", h, got[i])
	}
}

// TestF16ToF32Lengths runs the public entry point over lengths around the
// vector widths, comparing with the table path.
func TestF16ToF32Lengths(t *testing.T) {
	src := allHalves()
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000} {
		s := src[12345 : 12345+n]
		a := make([]float32, n+1)
		b := make([]float32, n)
		a[n] = 42
		F16ToF32(a, s)
		f16ToF32Table(b, s)
		testutil.RequireSameBits(t, b, a[:n], "n=%d", n)
		require.Equal(t, float32(42), a[n], "n=%d: wrote past the end", n)
	}
}

func TestBF16ToF32(t *testing.T) {
	src := []uint16{0x3f80, 0xbf80, 0x7f80, 0xff80, 0x0001, 0x8000, 0x7fc1, 0x4049}
	want := []uint32{0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x00010000, 0x80000000, 0x7fc10000, 0x40490000}
	got := make([]float32, len(src))
	BF16ToF32(got, src)
	for i := range want {
		assert.Equal(t, want[i], math.Float32bits(got[i]), "%#04x: got %#08x want %#08x", src[i], math.Float32bits(got[i]), want[i])
	}
}

func TestBF16AsmMatchesGo(t *testing.T) {
	src := allHalves()
	for _, n := range []int{0, 1, 7, 8, 9, 33, 65, len(src)} {
		a := make([]float32, n+1)
		b := make([]float32, n)
		a[n] = 42
		BF16ToF32(a, src[len(src)-n:])
		bf16ToF32Go(b, src[len(src)-n:])
		testutil.RequireSameBits(t, b, a[:n], "n=%d", n)
		require.Equal(t, float32(42), a[n], "n=%d: wrote past the end", n)
	}
}

func benchmarkConvert(b *testing.B, f func(dst []float32, src []uint16)) {
	const n = 1 << 20
	src := make([]uint16, n)
	for i := range src {
		src[i] = uint16(i * 7919)
	}
	dst := make([]float32, n)
	b.SetBytes(2 * n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(dst, src)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elem/s")
}

func BenchmarkF16ToF32(b *testing.B) {
	if hasF16C {
		b.Run("asm", func(b *testing.B) {
			benchmarkConvert(b, func(dst []float32, src []uint16) { f16ToF32F16C(&dst[0], &src[0], len(src)) })
		})
	}
	b.Run("table", func(b *testing.B) { benchmarkConvert(b, f16ToF32Table) })
}

func BenchmarkBF16ToF32(b *testing.B) {
	b.Run("public", func(b *testing.B) { benchmarkConvert(b, BF16ToF32) })
	b.Run("go", func(b *testing.B) { benchmarkConvert(b, bf16ToF32Go) })
}
