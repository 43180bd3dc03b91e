package nn

import (
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// TransformerConfig sizes a BasicTransformerBlock and a Transformer2DModel
// (diffusers' Transformer2DModel with continuous input and
// norm_type "layer_norm").
type TransformerConfig struct {
	Heads, DimHead int
	// InChannels is the channel count of the spatial input; OutChannels of
	// the output (0: InChannels). Unused by BasicTransformerBlock.
	InChannels, OutChannels int
	NumLayers               int
	// CrossAttentionDim is the context width; 0 means no cross-attention
	// (attn2/norm2 absent unless DoubleSelfAttention).
	CrossAttentionDim   int
	NormGroups          int // group count of the input GroupNorm (eps 1e-6)
	UseLinearProjection bool
	OnlyCrossAttention  bool
	DoubleSelfAttention bool
	AttentionBias       bool   // to_q/to_k/to_v biases
	NoAttentionOutBias  bool   // to_out.0 without bias (diffusers attention_out_bias=False)
	ActivationFn        string // "" means "geglu"
	NormEps             float32
	// NormNoAffine drops the LayerNorm affine parameters
	// (norm_elementwise_affine=False).
	NormNoAffine bool
	FFInnerDim   int // 0: 4 * Heads*DimHead
}

// BasicTransformerBlock is diffusers' BasicTransformerBlock (layer_norm
// variant): self-attention, cross-attention and feed-forward, each
// pre-normalised and added to the residual stream.
type BasicTransformerBlock struct {
	Norm1 *LayerNorm   `st:"norm1"`
	Attn1 *Attention   `st:"attn1"`
	Norm2 *LayerNorm   `st:"norm2"`
	Attn2 *Attention   `st:"attn2"`
	Norm3 *LayerNorm   `st:"norm3"`
	FF    *FeedForward `st:"ff"`

	OnlyCrossAttention bool
}

// NewBasicTransformerBlock returns an unloaded block of width
// c.Heads*c.DimHead.
func NewBasicTransformerBlock(c TransformerConfig) (*BasicTransformerBlock, error) {
	dim := c.Heads * c.DimHead
	eps := c.NormEps
	if eps == 0 {
		eps = 1e-5
	}
	act := c.ActivationFn
	if act == "" {
		act = "geglu"
	}
	b := &BasicTransformerBlock{OnlyCrossAttention: c.OnlyCrossAttention}
	if c.OnlyCrossAttention && c.CrossAttentionDim == 0 {
		return nil, fmt.Errorf("nn: only_cross_attention needs a cross_attention_dim")
	}
	ac := AttentionConfig{QueryDim: dim, Heads: c.Heads, DimHead: c.DimHead, Bias: c.AttentionBias, OutBias: !c.NoAttentionOutBias}
	b.Norm1 = NewLayerNorm(dim, eps, !c.NormNoAffine)
	a1 := ac
	if c.OnlyCrossAttention {
		a1.CrossAttentionDim = c.CrossAttentionDim
	}
	b.Attn1 = NewAttention(a1)
	if c.CrossAttentionDim > 0 || c.DoubleSelfAttention {
		a2 := ac
		if !c.DoubleSelfAttention {
			a2.CrossAttentionDim = c.CrossAttentionDim
		}
		b.Norm2 = NewLayerNorm(dim, eps, !c.NormNoAffine)
		b.Attn2 = NewAttention(a2)
	}
	b.Norm3 = NewLayerNorm(dim, eps, !c.NormNoAffine)
	ff, err := NewFeedForward(dim, c.FFInnerDim, dim, act, true)
	if err != nil {
		return nil, err
	}
	b.FF = ff
	return b, nil
}

// Forward runs the block on tokens x [B, L, dim] with context [B, Lk, ctx].
func (b *BasicTransformerBlock) Forward(x, context *tensor.Dense) *tensor.Dense {
	var c1 *tensor.Dense
	if b.OnlyCrossAttention {
		c1 = context
	}
	n := b.Norm1.Forward(x)
	h := tensor.AddInPlace(b.Attn1.Forward(n, c1), x) // new: x stays the caller's
	tensor.Recycle(n)
	if b.Attn2 != nil {
		n = b.Norm2.Forward(h)
		h2 := tensor.AddInPlace(b.Attn2.Forward(n, context), h)
		tensor.Recycle(n, h)
		h = h2
	}
	n = b.Norm3.Forward(h)
	out := tensor.AddInPlace(b.FF.Forward(n), h)
	tensor.Recycle(n, h)
	return out
}

// Transformer2DModel is diffusers' Transformer2DModel for continuous
// (latent image) input: GroupNorm, proj_in (1x1 conv, or Linear with
// use_linear_projection), transformer_blocks over the H*W tokens, proj_out,
// plus the input as residual.
type Transformer2DModel struct {
	Norm       *GroupNorm               `st:"norm"`
	ProjInConv *Conv2D                  `st:"proj_in"`
	ProjInLin  *Linear                  `st:"proj_in"`
	Blocks     []*BasicTransformerBlock `st:"transformer_blocks"`
	ProjOutCnv *Conv2D                  `st:"proj_out"`
	ProjOutLin *Linear                  `st:"proj_out"`

	Cfg TransformerConfig
}

// NewTransformer2DModel returns an unloaded model sized by c.
func NewTransformer2DModel(c TransformerConfig) (*Transformer2DModel, error) {
	if c.OutChannels == 0 {
		c.OutChannels = c.InChannels
	}
	if c.NumLayers == 0 {
		c.NumLayers = 1
	}
	inner := c.Heads * c.DimHead
	t := &Transformer2DModel{Norm: NewGroupNorm(c.NormGroups, c.InChannels, 1e-6), Cfg: c}
	if c.UseLinearProjection {
		t.ProjInLin = NewLinear(c.InChannels, inner, true)
		t.ProjOutLin = NewLinear(inner, c.OutChannels, true)
	} else {
		t.ProjInConv = NewConv2DOpts(c.InChannels, inner, 1, 1, 0, true)
		t.ProjOutCnv = NewConv2DOpts(inner, c.OutChannels, 1, 1, 0, true)
	}
	for i := 0; i < c.NumLayers; i++ {
		b, err := NewBasicTransformerBlock(c)
		if err != nil {
			return nil, err
		}
		t.Blocks = append(t.Blocks, b)
	}
	return t, nil
}

// Forward runs the model on x [N, InChannels, H, W] with context
// [N, Lk, CrossAttentionDim] (nil without cross-attention) and returns
// [N, OutChannels, H, W].
func (t *Transformer2DModel) Forward(x, context *tensor.Dense) *tensor.Dense {
	s := x.Shape()
	n, hh, ww := s[0], s[2], s[3]
	inner := t.Cfg.Heads * t.Cfg.DimHead
	// Every h below is this function's own, given back once replaced.
	h := t.Norm.Forward(x)
	if t.ProjInConv != nil {
		h = tensor.Replace(h, t.ProjInConv.Forward(h))                                        // [N, inner, H, W]
		h = tensor.Replace(h, tensor.Reshape(tensor.Permute(h, 0, 2, 3, 1), n, hh*ww, inner)) // [N, H*W, inner]
	} else {
		h = tensor.Replace(h, tensor.Reshape(tensor.Permute(h, 0, 2, 3, 1), n, hh*ww, s[1])) // [N, H*W, InChannels]
		h = tensor.Replace(h, t.ProjInLin.Forward(h))                                        // [N, H*W, inner]
	}
	for _, b := range t.Blocks {
		h = tensor.Replace(h, b.Forward(h, context)) // [N, H*W, inner]
	}
	if t.ProjOutLin != nil {
		h = tensor.Replace(h, t.ProjOutLin.Forward(h))                                                     // [N, H*W, OutChannels]
		h = tensor.Replace(h, tensor.Permute(tensor.Reshape(h, n, hh, ww, t.Cfg.OutChannels), 0, 3, 1, 2)) // [N, OutChannels, H, W]
	} else {
		h = tensor.Replace(h, tensor.Permute(tensor.Reshape(h, n, hh, ww, inner), 0, 3, 1, 2)) // [N, inner, H, W]
		h = tensor.Replace(h, t.ProjOutCnv.Forward(h))                                         // [N, OutChannels, H, W]
	}
	return tensor.AddInPlace(h, x)
}
