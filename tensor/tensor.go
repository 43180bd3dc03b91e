package tensor

import (
	"fmt"

	gt "gorgonia.org/tensor"
)

// Dense is the container every model computes on: a gorgonia dense tensor
// holding float32 data in row-major order.
type Dense = gt.Dense

// New returns a zeroed float32 tensor of the given shape.
func New(shape ...int) *Dense {
	b, fresh := scratch.get(numel(shape))
	if !fresh {
		clear(*b)
	}
	return FromSlice(*b, shape...)
}

// FromSlice wraps data (without copying) in a tensor of the given shape.
// It panics when len(data) does not match the shape's element count.
func FromSlice(data []float32, shape ...int) *Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if n != len(data) {
		panic(fmt.Sprintf("tensor: %d elements do not fill shape %v", len(data), shape))
	}
	sh := append([]int(nil), shape...)
	return gt.New(gt.WithBacking(data), gt.WithShape(sh...))
}

// F32 returns the float32 backing slice of t (no copy).
func F32(t *Dense) []float32 {
	return t.Float32s()
}

// Shape returns a copy of t's shape as a plain int slice.
func Shape(t *Dense) []int {
	return append([]int(nil), t.Shape()...)
}
