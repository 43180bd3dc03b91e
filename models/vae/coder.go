package vae

import (
	"context"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// Encoder is diffusers' VAE Encoder with double_z: image [N, in, H, W] to
// moments [N, 2*latent, H/f, W/f].
type Encoder struct {
	ConvIn      *nn.Conv2D            `st:"conv_in"`
	DownBlocks  []*DownEncoderBlock2D `st:"down_blocks"`
	MidBlock    *MidBlock2D           `st:"mid_block"`
	ConvNormOut *nn.GroupNorm         `st:"conv_norm_out"`
	ConvOut     *nn.Conv2D            `st:"conv_out"`
}

func newEncoder(c Config) *Encoder {
	boc := c.BlockOutChannels
	last := boc[len(boc)-1]
	e := &Encoder{
		ConvIn:      nn.NewConv2D(c.InChannels, boc[0], 3),
		DownBlocks:  make([]*DownEncoderBlock2D, len(boc)),
		MidBlock:    newMidBlock2D(last, c.NormNumGroups, c.MidBlockAddAttention),
		ConvNormOut: nn.NewGroupNorm(c.NormNumGroups, last, resnetEps),
		ConvOut:     nn.NewConv2D(last, 2*c.LatentChannels, 3),
	}
	out := boc[0]
	for i := range boc {
		in := out
		out = boc[i]
		e.DownBlocks[i] = newDownEncoderBlock2D(in, out, c.LayersPerBlock, c.NormNumGroups, i != len(boc)-1)
	}
	return e
}

// forward encodes x (left as it is); each intermediate goes back to the
// buffer pool once the next stage has read it.
func (e *Encoder) forward(ctx context.Context, x *tensor.Dense) (*tensor.Dense, error) {
	x = e.ConvIn.Forward(x) // [N, block_out_channels[0], H, W]
	for _, b := range e.DownBlocks {
		y, err := b.forward(ctx, x) // [N, C_i, H/2^(i+1), W/2^(i+1)], the last block not halving
		if err != nil {
			return nil, err
		}
		x = tensor.Replace(x, y)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.finish(ctx, x)
}

// finish runs the mid block, the output norm and convolution.
func (e *Encoder) finish(ctx context.Context, x *tensor.Dense) (*tensor.Dense, error) {
	y, err := e.MidBlock.forward(ctx, x)
	if err != nil {
		return nil, err
	}
	x = tensor.Replace(x, y)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x = tensor.Replace(x, tensor.SiLUInPlace(e.ConvNormOut.Forward(x)))
	out := e.ConvOut.Forward(x) // [N, 2*latent_channels, H/f, W/f]: mean and logvar
	tensor.Recycle(x)
	return out, nil
}

// Decoder is diffusers' VAE Decoder: latent [N, latent, h, w] to image
// [N, out, h*f, w*f]. Its up blocks have layers_per_block+1 resnets.
type Decoder struct {
	ConvIn      *nn.Conv2D          `st:"conv_in"`
	MidBlock    *MidBlock2D         `st:"mid_block"`
	UpBlocks    []*UpDecoderBlock2D `st:"up_blocks"`
	ConvNormOut *nn.GroupNorm       `st:"conv_norm_out"`
	ConvOut     *nn.Conv2D          `st:"conv_out"`
}

func newDecoder(c Config) *Decoder {
	boc := c.BlockOutChannels
	n := len(boc)
	last := boc[n-1]
	d := &Decoder{
		ConvIn:      nn.NewConv2D(c.LatentChannels, last, 3),
		MidBlock:    newMidBlock2D(last, c.NormNumGroups, c.MidBlockAddAttention),
		UpBlocks:    make([]*UpDecoderBlock2D, n),
		ConvNormOut: nn.NewGroupNorm(c.NormNumGroups, boc[0], resnetEps),
		ConvOut:     nn.NewConv2D(boc[0], c.OutChannels, 3).KeepFloat32(), // float32 image output
	}
	out := last
	for i := range n {
		prev := out
		out = boc[n-1-i]
		d.UpBlocks[i] = newUpDecoderBlock2D(prev, out, c.LayersPerBlock+1, c.NormNumGroups, i != n-1)
	}
	return d
}

// forward decodes z (left as it is); each intermediate goes back to the
// buffer pool once the next stage has read it.
func (d *Decoder) forward(ctx context.Context, z *tensor.Dense) (*tensor.Dense, error) {
	x := d.ConvIn.Forward(z) // [N, block_out_channels[-1], h, w]
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y, err := d.MidBlock.forward(ctx, x)
	if err != nil {
		return nil, err
	}
	x = tensor.Replace(x, y)
	for _, b := range d.UpBlocks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		y, err := b.forward(ctx, x) // [N, C_i, 2h, 2w] (the last block keeps the size)
		if err != nil {
			return nil, err
		}
		x = tensor.Replace(x, y)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x = tensor.Replace(x, tensor.SiLUInPlace(d.ConvNormOut.Forward(x)))
	out := d.ConvOut.Forward(x) // [N, out_channels, h*f, w*f]
	tensor.Recycle(x)
	return out, nil
}
