package vae

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// AutoencoderTiny is diffusers' AutoencoderTiny (TAESD, TAESDXL): a small
// deterministic convolutional autoencoder with the latent space of the
// AutoencoderKL it was distilled from, fp32, NCHW.
type AutoencoderTiny struct {
	Encoder *TinyEncoder `st:"encoder"`
	Decoder *TinyDecoder `st:"decoder"`

	cfg TinyConfig
}

// TinyBlock is diffusers' AutoencoderTinyBlock: three 3x3 convolutions with
// the activation between them, a 1x1 skip when the width changes, and a ReLU
// after the sum.
type TinyBlock struct {
	Conv []*nn.Conv2D `st:"conv"` // Sequential indices 0, 2, 4 (1 and 3 are activations)
	Skip *nn.Conv2D   `st:"skip,optional"`

	act string
}

func newTinyBlock(in, out int, act string) *TinyBlock {
	b := &TinyBlock{Conv: make([]*nn.Conv2D, 5), act: act}
	b.Conv[0] = nn.NewConv2D(in, out, 3)
	b.Conv[2] = nn.NewConv2D(out, out, 3)
	b.Conv[4] = nn.NewConv2D(out, out, 3)
	if in != out {
		b.Skip = nn.NewConv2DOpts(in, out, 1, 1, 0, false)
	}
	return b
}

func (b *TinyBlock) forward(x *tensor.Dense) *tensor.Dense {
	h := activate(b.Conv[0].Forward(x), b.act)
	h = tensor.Replace(h, activate(b.Conv[2].Forward(h), b.act))
	h = tensor.Replace(h, b.Conv[4].Forward(h))
	if b.Skip != nil {
		s := b.Skip.Forward(x)
		tensor.AddInPlace(h, s)
		tensor.Recycle(s)
	} else {
		tensor.AddInPlace(h, x)
	}
	return tensor.ReLUInPlace(h)
}

func activate(x *tensor.Dense, act string) *tensor.Dense {
	if act == "relu" {
		return tensor.ReLUInPlace(x)
	}
	return tensor.SiLUInPlace(x)
}

// tinyLayer is one entry of the encoder's or decoder's nn.Sequential: a
// convolution, a block, or (both nil) an activation or an upsampling.
type tinyLayer struct {
	Conv  *nn.Conv2D `st:",inline"`
	Block *TinyBlock `st:",inline"`

	act      bool // the activation entry after the decoder's first convolution
	upsample bool
}

// runLayers runs layers on x (left unchanged), giving each intermediate
// back to the buffer pool once the next layer has consumed it.
func runLayers(ctx context.Context, layers []*tinyLayer, x *tensor.Dense, act string) (*tensor.Dense, error) {
	in := x
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var y *tensor.Dense
		switch {
		case l.Conv != nil:
			y = l.Conv.Forward(x)
		case l.Block != nil:
			y = l.Block.forward(x)
		case l.upsample:
			y = tensor.UpsampleNearest2x(x)
		case l.act:
			if x == in {
				x = tensor.Clone(x)
			}
			y = activate(x, act)
		}
		if x != in {
			y = tensor.Replace(x, y)
		}
		x = y
	}
	return x, nil
}

// TinyEncoder is diffusers' EncoderTiny ("layers": a convolution per stage,
// stride 2 after the first, each followed by its blocks, then a convolution
// to the latent channels).
type TinyEncoder struct {
	Layers []*tinyLayer `st:"layers"`

	act string
}

func newTinyEncoder(c TinyConfig) *TinyEncoder {
	e := &TinyEncoder{act: c.ActFn}
	for i, n := range c.NumEncoderBlocks {
		ch := c.EncoderBlockOutChannels[i]
		conv := nn.NewConv2D(c.InChannels, ch, 3)
		if i > 0 {
			conv = nn.NewConv2DOpts(ch, ch, 3, 2, 1, false)
		}
		e.Layers = append(e.Layers, &tinyLayer{Conv: conv})
		for j := 0; j < n; j++ {
			e.Layers = append(e.Layers, &tinyLayer{Block: newTinyBlock(ch, ch, c.ActFn)})
		}
	}
	last := c.EncoderBlockOutChannels[len(c.EncoderBlockOutChannels)-1]
	e.Layers = append(e.Layers, &tinyLayer{Conv: nn.NewConv2D(last, c.LatentChannels, 3)})
	return e
}

// TinyDecoder is diffusers' DecoderTiny ("layers": a convolution from the
// latent channels and an activation, then per stage its blocks, a 2x nearest
// upsampling except after the last, and a convolution, biased only in the
// last stage, which maps to the image channels).
type TinyDecoder struct {
	Layers []*tinyLayer `st:"layers"`

	act string
}

func newTinyDecoder(c TinyConfig) *TinyDecoder {
	d := &TinyDecoder{act: c.ActFn}
	d.Layers = append(d.Layers,
		&tinyLayer{Conv: nn.NewConv2D(c.LatentChannels, c.DecoderBlockOutChannels[0], 3)},
		&tinyLayer{act: true})
	for i, n := range c.NumDecoderBlocks {
		ch := c.DecoderBlockOutChannels[i]
		final := i == len(c.NumDecoderBlocks)-1
		for j := 0; j < n; j++ {
			d.Layers = append(d.Layers, &tinyLayer{Block: newTinyBlock(ch, ch, c.ActFn)})
		}
		out := ch
		if final {
			out = c.OutChannels
		} else {
			d.Layers = append(d.Layers, &tinyLayer{upsample: true})
		}
		d.Layers = append(d.Layers, &tinyLayer{Conv: nn.NewConv2DOpts(ch, out, 3, 1, 1, final)})
	}
	return d
}

// NewTiny returns an unloaded AutoencoderTiny sized by c (c is validated).
func NewTiny(c TinyConfig) (*AutoencoderTiny, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("vae: config: %w", err)
	}
	return &AutoencoderTiny{Encoder: newTinyEncoder(c), Decoder: newTinyDecoder(c), cfg: c}, nil
}

// LoadTiny reads dir/config.json and the weights
// dir/diffusion_pytorch_model[.<variant>].safetensors (or its sharded index).
func LoadTiny(dir string, o weights.OpenOptions) (*AutoencoderTiny, error) {
	c, err := ReadTinyConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	s := tinySpec
	s.New = func(weights.Source) (*AutoencoderTiny, error) { return NewTiny(c) }
	return weights.LoadModel(dir, o, s)
}

// tinySpec fills an AutoencoderTiny (diffusers names) and checks every
// convolution's bias against its configuration.
var tinySpec = weights.Spec[*AutoencoderTiny]{
	Name:     "vae",
	Basename: "diffusion_pytorch_model",
	Finish:   func(v *AutoencoderTiny) error { return nn.CheckLoaded(v) },
}

// LoadFrom fills the model's weights from src (diffusers names).
func (v *AutoencoderTiny) LoadFrom(src weights.Source) error {
	if err := weights.Fill(src, v, tinySpec); err != nil {
		return fmt.Errorf("vae: load weights: %w", err)
	}
	return nil
}

// Config returns the model's config.
func (v *AutoencoderTiny) Config() TinyConfig { return v.cfg }

// Encode maps images x [N, in_channels, H, W] (values in [-1, 1]) to latents
// [N, latent_channels, H/f, W/f] (diffusers' encode(x).latents; deterministic).
func (v *AutoencoderTiny) Encode(ctx context.Context, x *tensor.Dense) (*tensor.Dense, error) {
	if err := check4D("encode input", x, v.cfg.InChannels); err != nil {
		return nil, err
	}
	// [-1, 1] -> [0, 1], the TAESD convention
	h := tensor.AddScalar(x, 1)
	h = tensor.Replace(h, tensor.Scale(h, 0.5))
	z, err := runLayers(ctx, v.Encoder.Layers, h, v.cfg.ActFn)
	tensor.Recycle(h)
	return z, err
}

// Decode maps latents z [N, latent_channels, h, w] (already divided by the
// scaling factor) to images [N, out_channels, h*f, w*f], roughly in [-1, 1].
func (v *AutoencoderTiny) Decode(ctx context.Context, z *tensor.Dense) (*tensor.Dense, error) {
	if err := check4D("decode input", z, v.cfg.LatentChannels); err != nil {
		return nil, err
	}
	// soft clamp to (-3, 3): tanh(z/3)*3
	h := tensor.Clone(z)
	d := tensor.F32(h)
	for i, x := range d {
		d[i] = float32(math.Tanh(float64(x/3))) * 3
	}
	out, err := runLayers(ctx, v.Decoder.Layers, h, v.cfg.ActFn)
	tensor.Recycle(h)
	if err != nil {
		return nil, err
	}
	// [0, 1] -> [-1, 1]
	o := tensor.F32(out)
	for i, x := range o {
		o[i] = x*2 - 1
	}
	return out, nil
}

// ScaleLatents maps raw latents to [0, 1] (diffusers' scale_latents:
// x/(2*latent_magnitude) + latent_shift, clamped), the range TAESD stores
// latents in as 8-bit images.
func (v *AutoencoderTiny) ScaleLatents(x *tensor.Dense) *tensor.Dense {
	out := tensor.Clone(x)
	d := tensor.F32(out)
	m, s := float32(2*v.cfg.LatentMagnitude), float32(v.cfg.LatentShift)
	for i, x := range d {
		d[i] = min(max(x/m+s, 0), 1)
	}
	return out
}

// UnscaleLatents maps [0, 1] latents back to raw latents (diffusers'
// unscale_latents: (x - latent_shift)*2*latent_magnitude).
func (v *AutoencoderTiny) UnscaleLatents(x *tensor.Dense) *tensor.Dense {
	out := tensor.Clone(x)
	d := tensor.F32(out)
	m, s := float32(2*v.cfg.LatentMagnitude), float32(v.cfg.LatentShift)
	for i, x := range d {
		d[i] = (x - s) * m
	}
	return out
}

// Forward is diffusers' forward: encode, store the latents as 8-bit values
// in [0, 1] and back, decode.
func (v *AutoencoderTiny) Forward(ctx context.Context, x *tensor.Dense) (*tensor.Dense, error) {
	z, err := v.Encode(ctx, x)
	if err != nil {
		return nil, err
	}
	q := v.ScaleLatents(z)
	d := tensor.F32(q)
	for i, x := range d {
		d[i] = float32(math.RoundToEven(float64(x*255))) / 255
	}
	return v.Decode(ctx, v.UnscaleLatents(q))
}
