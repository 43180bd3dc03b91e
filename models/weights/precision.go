package weights

import (
	"math"

	"github.com/goautopipe/autopipeline/tensor"
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
	for i, v := range x {
		x[i] = round(v)
	}
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
	b := math.Float32bits(v)
	// keep 10 mantissa bits: round the low 13 bits to even
	low := b & 0x1fff
	b &^= 0x1fff
	if low > 0x1000 || (low == 0x1000 && b&0x2000 != 0) {
		b += 0x2000
	}
	return math.Float32frombits(b)
}

// roundBF16 rounds to the nearest bfloat16 (ties to even).
func roundBF16(v float32) float32 {
	if v != v {
		return v
	}
	b := math.Float32bits(v)
	low := b & 0xffff
	b &^= 0xffff
	if low > 0x8000 || (low == 0x8000 && b&0x10000 != 0) {
		b += 0x10000
	}
	return math.Float32frombits(b)
}
