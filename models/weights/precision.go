package weights

import (
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// WithPrecision wraps src so that every tensor it returns is rounded to
// the storage precision p (a no-op for Float32, and for tensors already
// stored in that precision).
func WithPrecision(src Source, p tensor.DType) Source {
	if p != tensor.Float16 && p != tensor.BFloat16 {
		return src
	}
	return &precisionSource{Source: src, p: p}
}

type precisionSource struct {
	Source
	p tensor.DType
}

// halfSource is a source that can hand out 16-bit storage (float16 or
// bfloat16) for the weights of HalfCapable layers.
type halfSource interface {
	keepsHalf() bool
	halfTensor(name string) (*tensor.Dense, error)
}

// rawView is implemented by sources that can view stored 16-bit data (F16
// or BF16) without converting it.
type rawView interface {
	raw16(name, dtype string) ([]uint16, []int, bool)
}

func (s *precisionSource) keepsHalf() bool { return true }

// halfTensor returns the named tensor in 16-bit storage: float16 bits
// (tensor.NewHalf) under Float16, bfloat16 bits (tensor.NewBF16) under
// BFloat16. It is a view of the file when the file stores that dtype,
// else the values are rounded (ties to even) from whatever the file holds.
func (s *precisionSource) halfTensor(name string) (*tensor.Dense, error) {
	wrap, dtype, round := tensor.NewHalf, "F16", f32ToF16Bits
	if s.p == tensor.BFloat16 {
		wrap, dtype, round = tensor.NewBF16, "BF16", tensor.BF16Round
	}
	if r, ok := s.Source.(rawView); ok {
		if bits, shape, ok := r.raw16(name, dtype); ok {
			return wrap(bits, shape...), nil
		}
	}
	t, err := s.Source.Tensor(name)
	if err != nil {
		return nil, err
	}
	x := tensor.F32(t)
	bits := make([]uint16, len(x))
	chunks(len(x), func(i, j int) {
		for k := i; k < j; k++ {
			bits[k] = round(x[k])
		}
	})
	return wrap(bits, tensor.Shape(t)...), nil
}

// f32ToF16Bits rounds to the nearest half (ties to even) and returns its bits.
func f32ToF16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	man := b & 0x7fffff
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet, keep the payload's top bits
		return sign | 0x7e00 | uint16(man>>13)
	}
	exp := int32(b>>23&0xff) - 127 + 15
	if exp >= 31 {
		return sign | 0x7c00
	}
	if exp <= 0 { // subnormal half (or zero): units of 2^-24
		if exp < -10 {
			return sign
		}
		m32 := man | 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		rest := m32 & (1<<shift - 1)
		m := m32 >> shift
		if rest > half || (rest == half && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	h := uint32(exp)<<10 | man>>13
	rest := man & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is right, up to infinity
	}
	return sign | uint16(h)
}

func (s *precisionSource) Tensor(name string) (*tensor.Dense, error) {
	t, err := s.Source.Tensor(name)
	if err != nil {
		return nil, err
	}
	info, _ := s.Source.Info(name)
	round, stored := roundF16, "F16"
	if s.p == tensor.BFloat16 {
		round, stored = roundBF16, "BF16"
	}
	if info.DType == stored {
		return t, nil
	}
	x := tensor.F32(t)
	chunks(len(x), func(i, j int) {
		for k := i; k < j; k++ {
			x[k] = round(x[k])
		}
	})
	return t, nil
}

// roundF16 rounds to the nearest IEEE half-precision value (ties to even),
// as torch's .half() does, and back to float32.
func roundF16(v float32) float32 {
	if v != v || math.IsInf(float64(v), 0) {
		return v
	}
	a := math.Abs(float64(v))
	if a >= 65520 { // rounds to infinity in half precision
		return float32(math.Copysign(math.Inf(1), float64(v)))
	}
	if a < 6.103515625e-05 { // subnormal halves: a multiple of 2^-24
		q := math.RoundToEven(a * (1 << 24))
		return float32(math.Copysign(q/(1<<24), float64(v)))
	}
	// keep 10 mantissa bits: round the low 13 bits to even
	return math.Float32frombits(roundLowBits(math.Float32bits(v), 13))
}

// roundBF16 rounds to the nearest bfloat16 (ties to even).
func roundBF16(v float32) float32 {
	if v != v {
		return v
	}
	return math.Float32frombits(roundLowBits(math.Float32bits(v), 16))
}

// roundLowBits clears the low n bits of a float32 bit pattern, rounding to
// nearest with ties to even (a carry into the exponent is the correct
// rounding up).
func roundLowBits(b uint32, n uint) uint32 {
	unit := uint32(1) << n
	low := b & (unit - 1)
	b &^= unit - 1
	if low > unit/2 || (low == unit/2 && b&unit != 0) {
		b += unit
	}
	return b
}
