package rng_test

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor/rng"
)

func ExampleGenerator_Randn() {
	g := rng.New(0)
	x := g.Randn(2, 3) // torch.randn((2, 3), generator=torch.Generator().manual_seed(0))
	fmt.Printf("%.4f\n", x.Float32s()[:3])
	// Output: [1.5410 -0.2934 -2.1788]
}
