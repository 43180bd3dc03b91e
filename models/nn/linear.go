package nn

import "github.com/goautopipe/diffusers/tensor"

// Linear is torch.nn.Linear: y = x Wᵀ + b, with W in PyTorch layout [out, in].
type Linear struct {
	Weight *tensor.Dense `st:"weight"`
	Bias   *tensor.Dense `st:"bias,optional"`

	In, Out int
	HasBias bool
	// Adapters are side paths added to the output (see Adapter).
	Adapters []Adapter
	// Float32 keeps the weight in float32 storage whatever the load
	// precision, so the layer also computes in float32 (see KeepFloat32).
	Float32 bool
}

// NewLinear returns an unloaded Linear layer of the given sizes.
func NewLinear(in, out int, bias bool) *Linear {
	return &Linear{In: in, Out: out, HasBias: bias}
}

// WeightShapes implements weights.Shaper.
func (l *Linear) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {l.Out, l.In}, "bias": {l.Out}}
}

// Forward maps x [..., In] to [..., Out].
func (l *Linear) Forward(x *tensor.Dense) *tensor.Dense {
	y := tensor.Linear(x, l.Weight, l.Bias)
	addAdapters(l.Adapters, y, x)
	return y
}

// RequiredWeights implements weights.Requirer: the bias is loaded, and
// required, exactly when HasBias is set.
func (l *Linear) RequiredWeights() map[string]bool { return map[string]bool{"bias": l.HasBias} }

// HalfWeights implements weights.HalfCapable: the weight may be stored as
// float16 (tensor.Linear widens it) or bfloat16 (tensor.Linear multiplies
// in bfloat16 where the CPU can, else widens it), unless Float32 is set.
func (l *Linear) HalfWeights() []string {
	if l.Float32 {
		return nil
	}
	return []string{"weight"}
}

// KeepFloat32 sets Float32 and returns l.
func (l *Linear) KeepFloat32() *Linear {
	l.Float32 = true
	return l
}
