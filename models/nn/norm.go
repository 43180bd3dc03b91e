package nn

import "github.com/goautopipe/diffusers/tensor"

// GroupNorm is torch.nn.GroupNorm with affine parameters, over x [N, C, ...].
type GroupNorm struct {
	Weight *tensor.Dense `st:"weight"`
	Bias   *tensor.Dense `st:"bias"`

	Groups, Channels int
	Eps              float32
}

// NewGroupNorm returns an unloaded affine GroupNorm.
func NewGroupNorm(groups, channels int, eps float32) *GroupNorm {
	return &GroupNorm{Groups: groups, Channels: channels, Eps: eps}
}

// WeightShapes implements weights.Shaper.
func (g *GroupNorm) WeightShapes() map[string][]int {
	return map[string][]int{"weight": {g.Channels}, "bias": {g.Channels}}
}

// Forward normalises x [N, C, ...].
func (g *GroupNorm) Forward(x *tensor.Dense) *tensor.Dense {
	return tensor.GroupNorm(x, g.Groups, g.Weight, g.Bias, g.Eps)
}

// LayerNorm is torch.nn.LayerNorm over the last dimension. Without
// elementwise affine parameters it normalises with weight 1 and bias 0.
type LayerNorm struct {
	Weight *tensor.Dense `st:"weight,optional"`
	Bias   *tensor.Dense `st:"bias,optional"`

	Dim    int
	Eps    float32
	Affine bool

	one, zero *tensor.Dense // used when the layer has no affine parameters
}

// NewLayerNorm returns an unloaded LayerNorm; affine selects the
// elementwise_affine parameters (weight and bias).
func NewLayerNorm(dim int, eps float32, affine bool) *LayerNorm {
	l := &LayerNorm{Dim: dim, Eps: eps, Affine: affine}
	if !affine {
		ones := make([]float32, dim)
		for i := range ones {
			ones[i] = 1
		}
		l.one = tensor.FromSlice(ones, dim)
		l.zero = tensor.New(dim)
	}
	return l
}

// WeightShapes implements weights.Shaper.
func (l *LayerNorm) WeightShapes() map[string][]int {
	if !l.Affine {
		return map[string][]int{}
	}
	return map[string][]int{"weight": {l.Dim}, "bias": {l.Dim}}
}

// RequiredWeights implements weights.Requirer: weight and bias are loaded,
// and required, exactly when the layer is affine.
func (l *LayerNorm) RequiredWeights() map[string]bool {
	return map[string]bool{"weight": l.Affine, "bias": l.Affine}
}

// Forward normalises x [..., Dim] over its last dimension.
func (l *LayerNorm) Forward(x *tensor.Dense) *tensor.Dense {
	if !l.Affine {
		return tensor.LayerNorm(x, l.one, l.zero, l.Eps)
	}
	return tensor.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}
