package nn

import "github.com/goautopipe/diffusers/tensor"

// Downsample2D is diffusers' Downsample2D: a 3x3 stride-2 convolution
// ("conv"), or a 2x2 average pool when UseConv is false. With Padding 0 the
// input is first padded by one zero row/column at the bottom/right (VAE
// encoder), as diffusers does.
type Downsample2D struct {
	Conv *Conv2D `st:"conv"`

	Channels, OutChannels, Padding int
	UseConv                        bool
}

// NewDownsample2D returns an unloaded downsampler. outChannels 0 means
// channels.
func NewDownsample2D(channels, outChannels int, useConv bool, padding int) *Downsample2D {
	if outChannels == 0 {
		outChannels = channels
	}
	d := &Downsample2D{Channels: channels, OutChannels: outChannels, Padding: padding, UseConv: useConv}
	if useConv {
		d.Conv = NewConv2DOpts(channels, outChannels, 3, 2, padding, true)
	}
	return d
}

// Forward halves the spatial size of x [N, C, H, W].
func (d *Downsample2D) Forward(x *tensor.Dense) *tensor.Dense {
	if !d.UseConv {
		return avgPool2x2(x)
	}
	if d.Padding == 0 {
		p := padRightBottom(x)
		y := d.Conv.Forward(p)
		tensor.Recycle(p)
		return y
	}
	return d.Conv.Forward(x)
}

// Upsample2D is diffusers' Upsample2D with use_conv: nearest-neighbour
// upsampling (2x, or to an explicit size) followed by a 3x3 convolution
// ("conv").
type Upsample2D struct {
	Conv *Conv2D `st:"conv"`

	Channels, OutChannels int
	UseConv               bool
}

// NewUpsample2D returns an unloaded upsampler. outChannels 0 means channels.
func NewUpsample2D(channels, outChannels int, useConv bool) *Upsample2D {
	if outChannels == 0 {
		outChannels = channels
	}
	u := &Upsample2D{Channels: channels, OutChannels: outChannels, UseConv: useConv}
	if useConv {
		u.Conv = NewConv2D(channels, outChannels, 3)
	}
	return u
}

// Forward upsamples x [N, C, H, W] to [N, C', 2H, 2W], or to [N, C', oh, ow]
// when oh and ow are positive (diffusers' output_size).
func (u *Upsample2D) Forward(x *tensor.Dense, oh, ow int) *tensor.Dense {
	s := x.Shape()
	if oh <= 0 || ow <= 0 || (oh == 2*s[2] && ow == 2*s[3]) {
		x = tensor.UpsampleNearest2x(x)
	} else {
		x = tensor.ResizeNearest(x, oh, ow)
	}
	if !u.UseConv {
		return x
	}
	return tensor.Replace(x, u.Conv.Forward(x)) // the upsampled x is this function's own
}
