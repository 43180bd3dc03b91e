package tensor_test

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// A Linear layer with bfloat16 weights: half the memory of float32, and
// products in bfloat16 on CPUs with AVX512_BF16.
func ExampleNewBF16() {
	w := []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	bits := make([]uint16, len(w))
	tensor.Float32ToBF16(bits, w) // rounded to nearest even
	weight := tensor.NewBF16(bits, 2, 3)
	x := tensor.FromSlice([]float32{1, 1, 1}, 1, 3)
	y := tensor.Linear(x, weight, nil)
	fmt.Println(tensor.IsBF16(weight), tensor.F32(y))
	// Output: true [0.6010742 1.5019531]
}
