package vae

import (
	"context"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// resnetEps is the GroupNorm epsilon diffusers uses throughout the VAE.
const resnetEps = 1e-6

// DownEncoderBlock2D is diffusers' DownEncoderBlock2D: resnets without time
// embedding, then an optional stride-2 downsampler padded (0,1,0,1).
type DownEncoderBlock2D struct {
	Resnets     []*nn.ResnetBlock2D `st:"resnets"`
	Downsampler *nn.Downsample2D    `st:"downsamplers.0"`
}

// newResnets returns layers resnets without time embedding, the first
// mapping in channels to out, the others out to out.
func newResnets(in, out, layers, groups int) []*nn.ResnetBlock2D {
	rs := make([]*nn.ResnetBlock2D, layers)
	for i := range rs {
		cin := out
		if i == 0 {
			cin = in
		}
		rs[i] = nn.NewResnetBlock2D(nn.ResnetConfig{In: cin, Out: out, Groups: groups, Eps: resnetEps})
	}
	return rs
}

// runResnets runs the resnets in turn, checking ctx before each.
func runResnets(ctx context.Context, rs []*nn.ResnetBlock2D, x *tensor.Dense) (*tensor.Dense, error) {
	in := x
	for _, r := range rs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x = next(in, x, r.Forward(x, nil)) // [N, out, H, W]
	}
	return x, nil
}

// next returns y, computed from x, and gives x back to the buffer pool
// unless it is in, the input its caller does not own. Blocks leave their
// input as it is; the chain of intermediates inside them is theirs.
func next(in, x, y *tensor.Dense) *tensor.Dense {
	if x == in {
		return y
	}
	return tensor.Replace(x, y)
}

func newDownEncoderBlock2D(in, out, layers, groups int, downsample bool) *DownEncoderBlock2D {
	b := &DownEncoderBlock2D{Resnets: newResnets(in, out, layers, groups)}
	if downsample {
		b.Downsampler = nn.NewDownsample2D(out, out, true, 0)
	}
	return b
}

func (b *DownEncoderBlock2D) forward(ctx context.Context, in *tensor.Dense) (*tensor.Dense, error) {
	x, err := runResnets(ctx, b.Resnets, in)
	if err != nil || b.Downsampler == nil {
		return x, err
	}
	return next(in, x, b.Downsampler.Forward(x)), nil // [N, out, ceil(H/2), ceil(W/2)]
}

// UpDecoderBlock2D is diffusers' UpDecoderBlock2D: resnets without time
// embedding, then an optional nearest-2x upsampler with a 3x3 convolution.
type UpDecoderBlock2D struct {
	Resnets   []*nn.ResnetBlock2D `st:"resnets"`
	Upsampler *nn.Upsample2D      `st:"upsamplers.0"`
}

func newUpDecoderBlock2D(in, out, layers, groups int, upsample bool) *UpDecoderBlock2D {
	b := &UpDecoderBlock2D{Resnets: newResnets(in, out, layers, groups)}
	if upsample {
		b.Upsampler = nn.NewUpsample2D(out, out, true)
	}
	return b
}

func (b *UpDecoderBlock2D) forward(ctx context.Context, in *tensor.Dense) (*tensor.Dense, error) {
	x, err := runResnets(ctx, b.Resnets, in)
	if err != nil {
		return nil, err
	}
	if b.Upsampler != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x = next(in, x, b.Upsampler.Forward(x, 0, 0))
	}
	return x, nil
}

// MidBlock2D is diffusers' UNetMidBlock2D as the VAE builds it: resnet,
// then (attention, resnet) once; the attention is a single head over all
// channels with its own group norm and a residual connection. Attentions is
// empty when mid_block_add_attention is false.
type MidBlock2D struct {
	Resnets    []*nn.ResnetBlock2D `st:"resnets"`
	Attentions []*nn.Attention     `st:"attentions"`
}

func newMidBlock2D(ch, groups int, addAttention bool) *MidBlock2D {
	const layers = 1
	m := &MidBlock2D{Resnets: newResnets(ch, ch, layers+1, groups)}
	if addAttention {
		// attention_head_dim = channels, so heads = channels / channels = 1.
		headDim := ch
		m.Attentions = make([]*nn.Attention, layers)
		for i := range m.Attentions {
			m.Attentions[i] = nn.NewAttention(nn.AttentionConfig{
				QueryDim:           ch,
				Heads:              ch / headDim,
				DimHead:            headDim,
				Bias:               true,
				OutBias:            true,
				NormGroups:         groups,
				NormEps:            resnetEps,
				ResidualConnection: true,
			})
		}
	}
	return m
}

func (m *MidBlock2D) forward(ctx context.Context, in *tensor.Dense) (*tensor.Dense, error) {
	x := m.Resnets[0].Forward(in, nil)
	for i, r := range m.Resnets[1:] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if i < len(m.Attentions) {
			x = tensor.Replace(x, m.Attentions[i].Forward(x, nil))
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		x = tensor.Replace(x, r.Forward(x, nil))
	}
	return x, nil
}
