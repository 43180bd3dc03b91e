package nn

import (
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// AttentionConfig sizes an Attention layer (diffusers' Attention with
// AttnProcessor2_0 semantics).
type AttentionConfig struct {
	QueryDim int
	// CrossAttentionDim is the width of the context; 0 means self-attention
	// (context width = QueryDim).
	CrossAttentionDim int
	Heads, DimHead    int
	// Bias: to_q/to_k/to_v have biases. OutBias: to_out.0 has a bias.
	Bias, OutBias bool
	// OutDim is the width of to_out.0 (0: QueryDim).
	OutDim int
	// NormGroups > 0 adds group_norm (applied to spatial input before the
	// projections), with NormEps.
	NormGroups int
	NormEps    float32
	// ResidualConnection adds the input to the output; the result is then
	// divided by RescaleOutputFactor (0: 1).
	ResidualConnection  bool
	RescaleOutputFactor float32
}

// Attention is diffusers' Attention: scaled dot-product attention with
// q = to_q(x), k = to_k(ctx), v = to_v(ctx), scale DimHead^-0.5, followed by
// to_out.0. Spatial input [N, C, H, W] is turned into H*W tokens and back.
type Attention struct {
	GroupNorm *GroupNorm `st:"group_norm"`
	ToQ       *Linear    `st:"to_q"`
	ToK       *Linear    `st:"to_k"`
	ToV       *Linear    `st:"to_v"`
	ToOut     *Linear    `st:"to_out.0"`

	Cfg AttentionConfig
}

// NewAttention returns an unloaded attention layer sized by c.
func NewAttention(c AttentionConfig) *Attention {
	if c.CrossAttentionDim == 0 {
		c.CrossAttentionDim = c.QueryDim
	}
	if c.OutDim == 0 {
		c.OutDim = c.QueryDim
	}
	if c.RescaleOutputFactor == 0 {
		c.RescaleOutputFactor = 1
	}
	inner := c.Heads * c.DimHead
	a := &Attention{
		ToQ:   NewLinear(c.QueryDim, inner, c.Bias),
		ToK:   NewLinear(c.CrossAttentionDim, inner, c.Bias),
		ToV:   NewLinear(c.CrossAttentionDim, inner, c.Bias),
		ToOut: NewLinear(inner, c.OutDim, c.OutBias),
		Cfg:   c,
	}
	if c.NormGroups > 0 {
		a.GroupNorm = NewGroupNorm(c.NormGroups, c.QueryDim, c.NormEps)
	}
	return a
}

// Forward attends from x (tokens [B, L, QueryDim] or spatial
// [B, QueryDim, H, W]) to context [B, Lk, CrossAttentionDim]; a nil context
// means self-attention. The output has the shape of x.
func (a *Attention) Forward(x, context *tensor.Dense) *tensor.Dense {
	residual := x
	s := x.Shape()
	spatial := len(s) == 4
	h := a.tokens(x)      // [B, L, QueryDim]
	q := a.ToQ.Forward(h) // [B, L, heads*dim_head]
	if context == nil {
		context = h
	}
	k := a.ToK.Forward(context) // [B, Lk, heads*dim_head]
	v := a.ToV.Forward(context) // [B, Lk, heads*dim_head]
	if h != x {
		tensor.Recycle(h)
	}
	scale := float32(1 / math.Sqrt(float64(a.Cfg.DimHead)))
	o := tensor.Attention(q, k, v, a.Cfg.Heads, scale, false) // [B, L, heads*dim_head]
	tensor.Recycle(q, k, v)
	out := a.ToOut.Forward(o) // [B, L, OutDim]
	tensor.Recycle(o)
	if spatial {
		t := out
		out = tensor.Reshape(tensor.Permute(t, 0, 2, 1), s[0], a.Cfg.OutDim, s[2], s[3]) // [B, OutDim, H, W]
		tensor.Recycle(t)
	}
	if a.Cfg.ResidualConnection {
		tensor.AddInPlace(out, residual)
	}
	if a.Cfg.RescaleOutputFactor != 1 {
		divInPlace(out, a.Cfg.RescaleOutputFactor)
	}
	return out
}

// tokens returns the attention's input as tokens [B, L, QueryDim]: x itself
// for tokens without a group norm, else a new tensor (x group-normalised
// over channels and, for spatial x [B, C, H, W], flattened to tokens).
func (a *Attention) tokens(x *tensor.Dense) *tensor.Dense {
	s := x.Shape()
	if len(s) == 4 {
		h := x
		if a.GroupNorm != nil {
			// Group norm over channels is the same on [B, C, H, W] and on the
			// [B, C, H*W] view diffusers normalises.
			h = a.GroupNorm.Forward(x)
		}
		t := tensor.Permute(tensor.Reshape(h, s[0], s[1], s[2]*s[3]), 0, 2, 1) // [B, H*W, QueryDim]
		if h != x {
			tensor.Recycle(h)
		}
		return t
	}
	if a.GroupNorm == nil {
		return x
	}
	c := tensor.Permute(x, 0, 2, 1) // [B, QueryDim, L]
	n := a.GroupNorm.Forward(c)
	tensor.Recycle(c)
	t := tensor.Permute(n, 0, 2, 1) // [B, L, QueryDim]
	tensor.Recycle(n)
	return t
}
