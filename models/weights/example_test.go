package weights_test

import (
	"errors"
	"fmt"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// Linear is a layer as model packages write them: tags are checkpoint
// names, the constructor records the shapes.
type Linear struct {
	Weight  *tensor.Dense `st:"weight"`
	Bias    *tensor.Dense `st:"bias,optional"`
	In, Out int
}

func (l *Linear) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {l.Out, l.In}, "bias": {l.Out}}
}

type MLP struct {
	Layers []Linear `st:"layers"`
}

func Example() {
	src := weights.MapSource{
		"mlp.layers.0.weight": tensor.New(4, 2),
		"mlp.layers.0.bias":   tensor.New(4),
		"mlp.layers.1.weight": tensor.New(4, 3), // wrong: the model wants [3 4]
		"mlp.layers.2.weight": tensor.New(1, 3), // the model has two layers
	}
	m := &MLP{Layers: []Linear{{In: 2, Out: 4}, {In: 4, Out: 3}}}
	err := weights.Load(src, m, weights.WithPrefix("mlp"))
	var le *weights.LoadError
	if errors.As(err, &le) {
		fmt.Println("unused:", le.Unused)
		fmt.Println("mismatched:", le.Mismatched)
	}
	// Output:
	// unused: [mlp.layers.2.weight]
	// mismatched: [mlp.layers.1.weight: checkpoint [4 3], model [3 4]]
}
