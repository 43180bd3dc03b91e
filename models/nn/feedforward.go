package nn

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
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

// ffChunkFloats bounds the hidden activations computed at once (16 MiB):
// they are 4-8x wider than the input, so long sequences are run in chunks
// of rows (at least ffMinRows) that reuse one pair of buffers. Rows are
// independent, so the result is the same as in one piece.
var (
	ffChunkFloats = 1 << 22
	ffMinRows     = 256
)

// Forward maps x [..., Dim] to [..., OutDim].
func (f *FeedForward) Forward(x *tensor.Dense) *tensor.Dense {
	xs := tensor.Shape(x)
	rows := len(tensor.F32(x)) / f.Dim
	os := append(xs[:len(xs)-1:len(xs)-1], f.OutDim)
	out := tensor.New(os...)
	if rows == 0 {
		return out
	}
	projW := f.Proj.Out
	chunk := min(rows, max(ffMinRows, ffChunkFloats/projW))
	projT := tensor.Scratch(chunk * projW)
	projBuf := tensor.F32(projT)
	var actT *tensor.Dense
	var actBuf []float32
	if f.Activation == "geglu" {
		actT = tensor.Scratch(chunk * f.Inner)
		actBuf = tensor.F32(actT)
	}
	xd, od := tensor.F32(x), tensor.F32(out)
	for r0 := 0; r0 < rows; r0 += chunk {
		n := min(chunk, rows-r0)
		xc := tensor.FromSlice(xd[r0*f.Dim:(r0+n)*f.Dim], n, f.Dim)
		h := tensor.LinearInto(tensor.FromSlice(projBuf[:n*projW], n, projW), xc, f.Proj.Weight, f.Proj.Bias) // [n, 2*Inner] for geglu, else [n, Inner]
		addAdapters(f.Proj.Adapters, h, xc)
		switch f.Activation {
		case "geglu":
			h = tensor.GEGLUInto(tensor.FromSlice(actBuf[:n*f.Inner], n, f.Inner), h) // [n, Inner]
		case "gelu":
			h = tensor.GELU(h)
		case "gelu-approximate":
			h = tensor.GELUTanh(h)
		}
		y := tensor.LinearInto(tensor.FromSlice(od[r0*f.OutDim:(r0+n)*f.OutDim], n, f.OutDim), h, f.Out.Weight, f.Out.Bias)
		addAdapters(f.Out.Adapters, y, h)
		if f.Activation != "geglu" {
			tensor.Recycle(h) // the GELU's own output
		}
	}
	tensor.Recycle(projT, actT)
	return out
}
