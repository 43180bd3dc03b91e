package tensor_test

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// Sgemm multiplies row-major matrices with optional transposition:
// here C = A·Bᵀ with A 2×3 and B 2×3.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	tensor.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

// Linear takes PyTorch's [out, in] weight layout as is.
func ExampleLinear() {
	x := tensor.FromSlice([]float32{1, 2}, 1, 2)
	w := tensor.FromSlice([]float32{1, 1, 1, -1, 0, 2}, 3, 2)
	b := tensor.FromSlice([]float32{0, 0, 0.5}, 3)
	y := tensor.Linear(x, w, b)
	fmt.Println(tensor.Shape(y), tensor.F32(y))
	// Output: [1 3] [3 -1 4.5]
}

// Attention works on [batch, tokens, heads·dim] tensors, as the
// transformer blocks hold them.
func ExampleAttention() {
	q := tensor.FromSlice([]float32{1, 0, 0, 1}, 1, 1, 4) // one query, 2 heads of 2
	k := tensor.FromSlice([]float32{1, 0, 0, 1, 0, 1, 1, 0}, 1, 2, 4)
	v := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 4)
	out := tensor.Attention(q, k, v, 2, 0, false) // scale 0: uniform weights
	fmt.Println(tensor.F32(out))
	// Output: [3 4 5 6]
}

// Every GEMM implementation usable here; the last is the default.
func ExampleGemmImplementations() {
	impls := tensor.GemmImplementations()
	fmt.Println(impls[0].Name(), impls[len(impls)-1] == tensor.DefaultGemm())
	// Output: go true
}
