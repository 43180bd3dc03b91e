// Package nn holds the layers and blocks shared by the diffusion models
// (UNet, VAE): PyTorch layers and diffusers building blocks, numerically as
// diffusers computes them in float32.
//
// Every layer is a struct whose `st` tags are the checkpoint names relative
// to the layer (e.g. "weight", "to_out.0", "transformer_blocks"), so that
// weights.Load with a prefix fills it from a diffusers checkpoint. A
// constructor sizes the layer from plain numbers or a config struct; layers
// holding tensors implement weights.Shaper so that shapes are checked at
// load time. Optional parts (time_emb_proj, conv_shortcut, attn2, ...) are
// pointers the constructor leaves nil when the configuration has no such
// part; the loader then skips them and reports any checkpoint tensors under
// that name as unused.
//
// Layers (weights; Forward):
//
//	NewLinear(in, out, bias) *Linear            weight [out,in], bias [out];      Forward(x [...,in]) [...,out]
//	NewConv2D(in, out, k) *Conv2D                stride 1, padding k/2, bias
//	NewConv2DOpts(in, out, k, stride, pad, bias) weight [out,in,k,k];            Forward(x [N,in,H,W])
//	NewGroupNorm(groups, channels, eps)          weight, bias [channels];         Forward(x [N,C,...])
//	NewLayerNorm(dim, eps, affine)               weight, bias [dim] when affine;  Forward(x [...,dim])
//
// Blocks (diffusers names):
//
//	NewResnetBlock2D(ResnetConfig)      norm1 conv1 [time_emb_proj] norm2 conv2 [conv_shortcut]
//	    Forward(x [N,In,H,W], temb [N,TembChannels] or nil) [N,Out,H,W]
//	NewDownsample2D(ch, out, useConv, padding)   conv (3x3 stride 2); padding 0 pads right/bottom first; !useConv: avg pool
//	    Forward(x) [N,out,H/2,W/2]
//	NewUpsample2D(ch, out, useConv)              conv (3x3) after nearest upsampling
//	    Forward(x, oh, ow) [N,out,2H,2W], or [N,out,oh,ow] when oh, ow > 0
//	NewAttention(AttentionConfig)       [group_norm] to_q to_k to_v to_out.0
//	    Forward(x [B,L,QueryDim] or [B,QueryDim,H,W], context [B,Lk,CrossAttentionDim] or nil)
//	    e.g. the VAE mid-block attention of C channels:
//	    AttentionConfig{QueryDim: C, Heads: 1, DimHead: C, Bias: true, OutBias: true,
//	        NormGroups: 32, NormEps: 1e-6, ResidualConnection: true}
//	NewFeedForward(dim, inner, out, act, bias)   net.0.proj net.2; act "geglu", "gelu", "gelu-approximate"
//	NewBasicTransformerBlock(TransformerConfig)  norm1 attn1 [norm2 attn2] norm3 ff;  Forward(x [B,L,D], context)
//	NewTransformer2DModel(TransformerConfig)     norm proj_in transformer_blocks.i proj_out
//	    Forward(x [N,C,H,W], context) [N,C,H,W] (residual included)
//	NewTimestepEmbedding(in, out)                linear_1 linear_2;  Forward(x [N,in]) [N,out]
//	Timesteps{Dim, FlipSinToCos, FreqShift}      sinusoidal projection, no weights
//
// Linear, Conv2D and LayerNorm tell weights.Load (weights.Requirer) whether
// their configuration has a bias (or affine parameters): a missing one is
// reported as missing, a stray one as unused, in the loader's one report.
// CheckLoaded makes the same check on a model filled by other means.
//
// Forward methods assume shapes were validated by the caller (the model
// packages check inputs and return errors); they do not check shapes again.
// Intermediate activations are dropped as soon as they are consumed, and
// in-place tensor operations are used where the result of a step is not
// needed again.
//
// The package does not read configs or files; models/unet and models/vae do.
package nn
