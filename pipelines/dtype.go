package pipelines

import (
	"math"
	"reflect"

	"github.com/goautopipe/autopipeline/tensor"
)

// roundWeights rounds every weight tensor reachable from c to the storage
// precision dt, so that a model loaded with WithDType(Float16) holds the
// same weight values as the half-precision model. Computation stays
// float32.
func roundWeights(c any, dt tensor.DType) {
	if dt == tensor.Float32 {
		return
	}
	round := roundF16
	if dt == tensor.BFloat16 {
		round = roundBF16
	}
	seen := map[*tensor.Dense]bool{}
	walkDense(reflect.ValueOf(c), seen, func(d *tensor.Dense) {
		x := tensor.F32(d)
		for i, v := range x {
			x[i] = round(v)
		}
	})
}

var denseType = reflect.TypeOf((*tensor.Dense)(nil))

func walkDense(v reflect.Value, seen map[*tensor.Dense]bool, f func(*tensor.Dense)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == denseType {
			d := v.Interface().(*tensor.Dense)
			if !seen[d] {
				seen[d] = true
				f(d)
			}
			return
		}
		walkDense(v.Elem(), seen, f)
	case reflect.Interface:
		if !v.IsNil() {
			walkDense(v.Elem(), seen, f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkDense(v.Field(i), seen, f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkDense(v.Index(i), seen, f)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkDense(it.Value(), seen, f)
		}
	}
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
