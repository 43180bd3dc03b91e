package tensor

import (
	"math"
	"sync"

	gt "gorgonia.org/tensor"
)

// Half-precision weights: a weight tensor may hold IEEE float16 bits
// (a uint16 container) instead of float32, halving its memory. Linear and
// Conv2D widen such a weight to float32 scratch for each call (a few
// percent of the product's cost); the result equals computing with the
// float32 values of those halves.

// NewHalf wraps float16 bits (without copying) in a tensor of the given shape.
func NewHalf(bits []uint16, shape ...int) *Dense {
	sh := append([]int(nil), shape...)
	return gt.New(gt.WithBacking(bits), gt.WithShape(sh...))
}

// IsHalf reports whether t holds float16 bits.
func IsHalf(t *Dense) bool { return t != nil && t.Dtype() == gt.Uint16 }

// HalfBits returns the float16 bits of a half tensor.
func HalfBits(t *Dense) []uint16 { return t.Uint16s() }

var halfConv struct {
	sync.RWMutex
	f func(dst []float32, src []uint16)
}

// SetHalfConverter installs a faster float16 → float32 conversion (the
// weights package installs its assembly one).
func SetHalfConverter(f func(dst []float32, src []uint16)) {
	halfConv.Lock()
	halfConv.f = f
	halfConv.Unlock()
}

// HalfToFloat32 widens float16 bits to float32.
func HalfToFloat32(dst []float32, src []uint16) { halfConverter()(dst, src) }

// halfConverter returns the installed float16 conversion, or the portable
// one: for callers converting many short runs.
func halfConverter() func(dst []float32, src []uint16) {
	halfConv.RLock()
	f := halfConv.f
	halfConv.RUnlock()
	if f != nil {
		return f
	}
	return halfToF32Slice
}

func halfToF32Slice(dst []float32, src []uint16) {
	for i, h := range src {
		dst[i] = halfToF32(h)
	}
}

func halfToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// subnormal half: man × 2^-24
	v := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// weightF32 returns w's values as float32: its own data, or for a half or
// bfloat16 weight a pooled scratch copy that release returns to the pool.
func weightF32(w *Dense) (data []float32, release func()) {
	widen := HalfToFloat32
	var h []uint16
	switch {
	case IsBF16(w):
		widen, h = BF16ToFloat32, BF16Bits(w)
	case IsHalf(w):
		h = HalfBits(w)
	default:
		return F32(w), func() {}
	}
	p := getScratch(len(h))
	widenParallel(*p, h, widen)
	return *p, func() { putScratch(p) }
}

// widenParallel converts src into dst with widen, in chunks over all
// workers when there is enough of it (a large layer's weights are widened
// at memory speed rather than on one core).
func widenParallel(dst []float32, src []uint16, widen func([]float32, []uint16)) {
	const chunk = 1 << 16
	n := len(src)
	if n < 2*chunk {
		widen(dst[:n], src)
		return
	}
	parallelFor((n+chunk-1)/chunk, func(i int) {
		lo, hi := i*chunk, min((i+1)*chunk, n)
		widen(dst[lo:hi], src[lo:hi])
	})
}
