package tensor

import (
	"math"
	"math/rand"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
)

// halfOf rounds float32 values to float16 bits (ties to even) for the test.
func halfOf(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	man := b & 0x7fffff
	if exp <= 0 || exp >= 31 {
		return sign // test values stay in the normal range
	}
	h := uint32(exp)<<10 | man>>13
	rest := man & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

func TestHalfWeightsEqualTheirFloat32Values(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	mk := func(n int) ([]uint16, []float32) {
		h := make([]uint16, n)
		f := make([]float32, n)
		for i := range h {
			h[i] = halfOf(float32(r.NormFloat64()) * 0.1)
		}
		for i, v := range h {
			f[i] = halfToF32(v)
		}
		return h, f
	}
	x := New(3, 70)
	for i := range F32(x) {
		F32(x)[i] = float32(r.NormFloat64())
	}
	hw, fw := mk(50 * 70)
	a := Linear(x, NewHalf(hw, 50, 70), nil)
	b := Linear(x, FromSlice(fw, 50, 70), nil)
	testutil.RequireSameBits(t, F32(b), F32(a), "linear")
	img := New(2, 5, 9, 9)
	for i := range F32(img) {
		F32(img)[i] = float32(r.NormFloat64())
	}
	hc, fc := mk(7 * 5 * 3 * 3)
	c := Conv2D(img, NewHalf(hc, 7, 5, 3, 3), nil, 1, 1)
	d := Conv2D(img, FromSlice(fc, 7, 5, 3, 3), nil, 1, 1)
	testutil.RequireSameBits(t, F32(d), F32(c), "conv")
	// a weight large enough to be widened by several workers
	hb, fb := mk(512 * 300)
	xb := New(3, 300)
	for i := range F32(xb) {
		F32(xb)[i] = float32(r.NormFloat64())
	}
	testutil.RequireSameBits(t, F32(Linear(xb, FromSlice(fb, 512, 300), nil)), F32(Linear(xb, NewHalf(hb, 512, 300), nil)), "large linear")
	assert.True(t, IsHalf(NewHalf(hc, 7, 5, 3, 3)), "IsHalf")
	assert.False(t, IsHalf(x), "IsHalf")
}

func TestHalfToF32Specials(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x0001, 5.9604645e-08}, {0x8000, float32(math.Copysign(0, -1))}, {0x7bff, 65504}} {
		got := halfToF32(c.h)
		assert.Equal(t, math.Float32bits(c.want), math.Float32bits(got), "%#04x: %v, want %v", c.h, got, c.want)
	}
	assert.True(t, math.IsInf(float64(halfToF32(0x7c00)), 1), "inf")
	assert.True(t, math.IsNaN(float64(halfToF32(0x7e00))), "NaN")
}
