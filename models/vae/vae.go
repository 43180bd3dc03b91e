package vae

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// AutoencoderKL is diffusers' AutoencoderKL: an image encoder to a diagonal
// Gaussian latent and a decoder back to images, fp32, NCHW.
type AutoencoderKL struct {
	Encoder       *Encoder   `st:"encoder"`
	Decoder       *Decoder   `st:"decoder"`
	QuantConv     *nn.Conv2D `st:"quant_conv"`
	PostQuantConv *nn.Conv2D `st:"post_quant_conv"`

	cfg    Config
	tiling bool
	tile   TileOptions
}

// New returns an unloaded model sized by c (c is validated).
func New(c Config) (*AutoencoderKL, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("vae: config: %w", err)
	}
	v := &AutoencoderKL{
		Encoder: newEncoder(c),
		Decoder: newDecoder(c),
		cfg:     c,
		tile:    defaultTileOptions(c),
	}
	if c.UseQuantConv {
		v.QuantConv = nn.NewConv2D(2*c.LatentChannels, 2*c.LatentChannels, 1)
	}
	if c.UsePostQuantConv {
		v.PostQuantConv = nn.NewConv2D(c.LatentChannels, c.LatentChannels, 1)
	}
	return v, nil
}

// Load reads dir/config.json and the weights
// dir/diffusion_pytorch_model[.<variant>].safetensors (or its sharded index).
// Legacy attention names (query, key, value, proj_attn) are accepted and
// renamed as diffusers does, and legacy 1x1-conv attention weights
// [C, C, 1, 1] are used as [C, C].
func Load(dir string, o weights.OpenOptions) (*AutoencoderKL, error) {
	c, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	s := spec
	s.New = func(weights.Source) (*AutoencoderKL, error) { return New(c) }
	return weights.LoadModel(dir, o, s)
}

// spec fills an AutoencoderKL: diffusers names, legacy attention names and
// layouts accepted.
var spec = weights.Spec[*AutoencoderKL]{
	Name:     "vae",
	Basename: "diffusion_pytorch_model",
	View:     legacyView,
	Options:  func(weights.Source) []weights.Option { return []weights.Option{weights.WithRename(renameLegacy)} },
}

// LoadFrom fills the model's weights from src (diffusers names, legacy
// attention names accepted).
func (v *AutoencoderKL) LoadFrom(src weights.Source) error {
	if err := weights.Fill(src, v, spec); err != nil {
		return fmt.Errorf("vae: load weights: %w", err)
	}
	return nil
}

// Config returns the model's config.
func (v *AutoencoderKL) Config() Config { return v.cfg }

// SetTiling turns tiled encode/decode on or off (off by default). Tiling is
// used only for inputs larger than the tile.
func (v *AutoencoderKL) SetTiling(on bool) { v.tiling = on }

// Tiling reports whether tiled encode/decode is on.
func (v *AutoencoderKL) Tiling() bool { return v.tiling }

// TileOptions returns the tile geometry used when tiling is on.
func (v *AutoencoderKL) TileOptions() TileOptions { return v.tile }

// SetTileOptions changes the tile geometry (diffusers' tile_sample_min_size,
// tile_latent_min_size, tile_overlap_factor).
func (v *AutoencoderKL) SetTileOptions(t TileOptions) error {
	if t.SampleMinSize <= 0 || t.LatentMinSize <= 0 || t.OverlapFactor < 0 || t.OverlapFactor >= 1 {
		return fmt.Errorf("vae: invalid tile options %+v", t)
	}
	if int(float64(t.SampleMinSize)*(1-t.OverlapFactor)) <= 0 || int(float64(t.LatentMinSize)*(1-t.OverlapFactor)) <= 0 {
		return fmt.Errorf("vae: tile options %+v give an empty tile step", t)
	}
	v.tile = t
	return nil
}

func check4D(what string, x *tensor.Dense, channels int) error {
	if x == nil {
		return fmt.Errorf("vae: %s: nil tensor", what)
	}
	s := tensor.Shape(x)
	if len(s) != 4 || s[0] <= 0 || s[1] != channels || s[2] <= 0 || s[3] <= 0 {
		return fmt.Errorf("vae: %s: shape %v, want [N, %d, H, W]", what, s, channels)
	}
	return nil
}

// Encode maps images x [N, in_channels, H, W] (values in [-1, 1]) to the
// latent distribution.
func (v *AutoencoderKL) Encode(ctx context.Context, x *tensor.Dense) (*DiagonalGaussian, error) {
	if err := check4D("encode input", x, v.cfg.InChannels); err != nil {
		return nil, err
	}
	s := tensor.Shape(x)
	var (
		moments *tensor.Dense
		err     error
	)
	if v.tiling && (s[2] > v.tile.SampleMinSize || s[3] > v.tile.SampleMinSize) {
		blend := int(float64(v.tile.LatentMinSize) * v.tile.OverlapFactor)
		moments, err = tiled(ctx, x, v.tile.SampleMinSize, blend, v.tile.LatentMinSize-blend, v.tile.OverlapFactor, v.encodeTile)
	} else {
		moments, err = v.encodeTile(ctx, x)
	}
	if err != nil {
		return nil, err
	}
	return newDiagonalGaussian(moments)
}

func (v *AutoencoderKL) encodeTile(ctx context.Context, x *tensor.Dense) (*tensor.Dense, error) {
	h, err := v.Encoder.forward(ctx, x)
	if err != nil {
		return nil, err
	}
	if v.QuantConv != nil {
		h = v.QuantConv.Forward(h) // [N, 2*latent_channels, h, w]
	}
	return h, nil
}

// Decode maps latents z [N, latent_channels, h, w] (already divided by the
// scaling factor) to images [N, out_channels, h*f, w*f], roughly in [-1, 1].
func (v *AutoencoderKL) Decode(ctx context.Context, z *tensor.Dense) (*tensor.Dense, error) {
	if err := check4D("decode input", z, v.cfg.LatentChannels); err != nil {
		return nil, err
	}
	s := tensor.Shape(z)
	if v.tiling && (s[2] > v.tile.LatentMinSize || s[3] > v.tile.LatentMinSize) {
		blend := int(float64(v.tile.SampleMinSize) * v.tile.OverlapFactor)
		return tiled(ctx, z, v.tile.LatentMinSize, blend, v.tile.SampleMinSize-blend, v.tile.OverlapFactor, v.decodeTile)
	}
	return v.decodeTile(ctx, z)
}

func (v *AutoencoderKL) decodeTile(ctx context.Context, z *tensor.Dense) (*tensor.Dense, error) {
	if v.PostQuantConv != nil {
		z = v.PostQuantConv.Forward(z) // [N, latent_channels, h, w]
	}
	return v.Decoder.forward(ctx, z)
}
