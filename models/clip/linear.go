package clip

import (
	"fmt"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// linear is torch.nn.Linear (weight [out, in] in the checkpoint). After
// prepare the weight is held transposed, [in, out]: with the few rows a
// prompt has (77), packing a transposed [out, in] weight for every product
// costs about as much as the product itself, while the [in, out] layout
// packs with contiguous reads.
type linear struct {
	Weight *tensor.Dense `st:"weight"`
	Bias   *tensor.Dense `st:"bias,optional"`

	in, out int
	hasBias bool
	wt      []float32 // [in, out], set by prepare
	// Adapters are side paths added to the output (see nn.Adapter).
	Adapters []nn.Adapter
}

func newLinear(in, out int, bias bool) *linear {
	return &linear{in: in, out: out, hasBias: bias}
}

// WeightShapes implements weights.Shaper.
func (l *linear) WeightShapes() map[string][]int {
	m := map[string][]int{"weight": {l.out, l.in}}
	if l.hasBias {
		m["bias"] = []int{l.out}
	}
	return m
}

// RequiredWeights implements weights.Requirer.
func (l *linear) RequiredWeights() map[string]bool { return map[string]bool{"bias": l.hasBias} }

// prepare transposes the loaded weight and drops the [out, in] copy.
func (l *linear) prepare() error {
	if l.Weight == nil {
		return fmt.Errorf("weight not loaded")
	}
	if l.hasBias && l.Bias == nil {
		return fmt.Errorf("bias not loaded")
	}
	w := tensor.F32(l.Weight)
	wt := make([]float32, len(w))
	const blk = 32
	for o0 := 0; o0 < l.out; o0 += blk {
		for i0 := 0; i0 < l.in; i0 += blk {
			for o := o0; o < min(o0+blk, l.out); o++ {
				row := w[o*l.in : (o+1)*l.in]
				for i := i0; i < min(i0+blk, l.in); i++ {
					wt[i*l.out+o] = row[i]
				}
			}
		}
	}
	l.wt = wt
	l.Weight = nil
	return nil
}

// forward maps x [..., in] to [..., out].
func (l *linear) forward(x *tensor.Dense) *tensor.Dense {
	shape := tensor.Shape(x)
	rows := len(tensor.F32(x)) / l.in
	shape[len(shape)-1] = l.out
	c := make([]float32, rows*l.out)
	beta := float32(0)
	if l.Bias != nil {
		b := tensor.F32(l.Bias)
		for r := 0; r < rows; r++ {
			copy(c[r*l.out:(r+1)*l.out], b)
		}
		beta = 1
	}
	tensor.Sgemm(false, false, rows, l.out, l.in, 1, tensor.F32(x), l.in, l.wt, l.out, beta, c, l.out)
	y := tensor.FromSlice(c, shape...)
	for _, a := range l.Adapters {
		a.AddTo(y, x)
	}
	return y
}

// LayerShape implements nn.AdapterLayer.
func (l *linear) LayerShape() (in, out, kernel int) { return l.in, l.out, 0 }

// WithAdapters implements nn.AdapterLayer.
func (l *linear) WithAdapters(a ...nn.Adapter) nn.AdapterLayer {
	c := *l
	c.Adapters = append(append([]nn.Adapter(nil), l.Adapters...), a...)
	return &c
}

// WithDelta implements nn.AdapterLayer: delta is [out, in]; the copy holds
// the sum transposed, like prepare.
func (l *linear) WithDelta(delta []float32) nn.AdapterLayer {
	c := *l
	c.wt = make([]float32, len(l.wt))
	for i := 0; i < l.in; i++ {
		for o := 0; o < l.out; o++ {
			c.wt[i*l.out+o] = l.wt[i*l.out+o] + delta[o*l.in+i]
		}
	}
	return &c
}
