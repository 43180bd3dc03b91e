package nn

import (
	"fmt"

	"github.com/goautopipe/autopipeline/tensor"
)

// FeedForward is diffusers' FeedForward: net.0 (a projection with its
// activation: "geglu", "gelu" or "gelu-approximate"), dropout (net.1, a
// no-op at inference) and net.2 (Linear back to the output width).
type FeedForward struct {
	Proj *Linear `st:"net.0.proj"`
	Out  *Linear `st:"net.2"`

	Dim, Inner, OutDim int
	Activation         string
}

// NewFeedForward returns an unloaded feed-forward block. inner 0 means
// 4*dim; outDim 0 means dim. Unknown activations are an error.
func NewFeedForward(dim, inner, outDim int, activation string, bias bool) (*FeedForward, error) {
	if inner == 0 {
		inner = 4 * dim
	}
	if outDim == 0 {
		outDim = dim
	}
	f := &FeedForward{Dim: dim, Inner: inner, OutDim: outDim, Activation: activation, Out: NewLinear(inner, outDim, bias)}
	switch activation {
	case "geglu":
		f.Proj = NewLinear(dim, 2*inner, bias)
	case "gelu", "gelu-approximate":
		f.Proj = NewLinear(dim, inner, bias)
	default:
		return nil, fmt.Errorf("nn: feed-forward activation %q not supported (want geglu, gelu or gelu-approximate)", activation)
	}
	return f, nil
}

// Forward maps x [..., Dim] to [..., OutDim].
func (f *FeedForward) Forward(x *tensor.Dense) *tensor.Dense {
	h := f.Proj.Forward(x)
	switch f.Activation {
	case "geglu":
		h = tensor.GEGLU(h)
	case "gelu":
		h = tensor.GELU(h)
	case "gelu-approximate":
		h = tensor.GELUTanh(h)
	}
	return f.Out.Forward(h)
}
