package nn

import "github.com/goautopipe/diffusers/tensor"

// Conv2D is torch.nn.Conv2d with a square kernel, equal stride and padding
// on both axes, no dilation and no groups. Weight layout [Out, In, K, K].
type Conv2D struct {
	Weight *tensor.Dense `st:"weight"`
	Bias   *tensor.Dense `st:"bias,optional"`

	In, Out, Kernel, Stride, Padding int
	HasBias                          bool
	// Adapters are side paths added to the output (see Adapter).
	Adapters []Adapter
	// Float32 keeps the weight in float32 storage whatever the load
	// precision, so the layer also computes in float32 (see KeepFloat32).
	Float32 bool
}

// NewConv2D returns an unloaded convolution with bias, stride 1 and
// "same" padding (kernel/2).
func NewConv2D(in, out, kernel int) *Conv2D {
	return NewConv2DOpts(in, out, kernel, 1, kernel/2, true)
}

// NewConv2DOpts returns an unloaded convolution with explicit stride,
// padding and bias.
func NewConv2DOpts(in, out, kernel, stride, padding int, bias bool) *Conv2D {
	return &Conv2D{In: in, Out: out, Kernel: kernel, Stride: stride, Padding: padding, HasBias: bias}
}

// WeightShapes implements weights.Shaper.
func (c *Conv2D) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {c.Out, c.In, c.Kernel, c.Kernel}, "bias": {c.Out}}
}

// Forward maps x [N, In, H, W] to [N, Out, H', W'].
func (c *Conv2D) Forward(x *tensor.Dense) *tensor.Dense {
	y := tensor.Conv2D(x, c.Weight, c.Bias, c.Stride, c.Padding)
	addAdapters(c.Adapters, y, x)
	return y
}

// RequiredWeights implements weights.Requirer: the bias is loaded, and
// required, exactly when HasBias is set.
func (c *Conv2D) RequiredWeights() map[string]bool { return map[string]bool{"bias": c.HasBias} }

// HalfWeights implements weights.HalfCapable: the weight may be stored as
// float16 (tensor.Conv2D widens it) or bfloat16 (tensor.Conv2D multiplies
// in bfloat16 where the CPU can, else widens it), unless Float32 is set.
func (c *Conv2D) HalfWeights() []string {
	if c.Float32 {
		return nil
	}
	return []string{"weight"}
}

// KeepFloat32 sets Float32 and returns c: for final layers whose output
// precision matters more than their cost (the VAE decoder's conv_out).
func (c *Conv2D) KeepFloat32() *Conv2D {
	c.Float32 = true
	return c
}
