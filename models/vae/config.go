package vae

import (
	"fmt"

	"github.com/goautopipe/diffusers/internal/config"
)

// Config is an AutoencoderKL config.json. Fields absent from the file take
// diffusers' defaults (see DefaultConfig).
type Config struct {
	InChannels           int              `json:"in_channels"`
	OutChannels          int              `json:"out_channels"`
	DownBlockTypes       []string         `json:"down_block_types"`
	UpBlockTypes         []string         `json:"up_block_types"`
	BlockOutChannels     []int            `json:"block_out_channels"`
	LayersPerBlock       int              `json:"layers_per_block"`
	ActFn                string           `json:"act_fn"`
	LatentChannels       int              `json:"latent_channels"`
	NormNumGroups        int              `json:"norm_num_groups"`
	SampleSize           config.IntOrList `json:"sample_size"`
	ScalingFactor        float64          `json:"scaling_factor"`
	ShiftFactor          *float64         `json:"shift_factor"`
	LatentsMean          []float64        `json:"latents_mean"`
	LatentsStd           []float64        `json:"latents_std"`
	ForceUpcast          bool             `json:"force_upcast"`
	UseQuantConv         bool             `json:"use_quant_conv"`
	UsePostQuantConv     bool             `json:"use_post_quant_conv"`
	MidBlockAddAttention bool             `json:"mid_block_add_attention"`
	ClassName            string           `json:"_class_name"`
	DiffusersVersion     string           `json:"_diffusers_version"`
	NameOrPath           string           `json:"_name_or_path"`
}

// DefaultConfig returns diffusers' AutoencoderKL defaults.
func DefaultConfig() Config {
	return Config{
		InChannels:           3,
		OutChannels:          3,
		DownBlockTypes:       []string{"DownEncoderBlock2D"},
		UpBlockTypes:         []string{"UpDecoderBlock2D"},
		BlockOutChannels:     []int{64},
		LayersPerBlock:       1,
		ActFn:                "silu",
		LatentChannels:       4,
		NormNumGroups:        32,
		SampleSize:           config.IntOrList{32},
		ScalingFactor:        0.18215,
		ForceUpcast:          true,
		UseQuantConv:         true,
		UsePostQuantConv:     true,
		MidBlockAddAttention: true,
	}
}

// ReadConfig reads an AutoencoderKL config.json, filling absent keys with
// diffusers' defaults, and validates it.
func ReadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := config.ReadJSON(path, &c); err != nil {
		return Config{}, fmt.Errorf("vae: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("vae: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a config from JSON bytes (defaults filled, validated).
func ParseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	if err := config.Decode(data, &c); err != nil {
		return Config{}, fmt.Errorf("vae: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("vae: config: %w", err)
	}
	return c, nil
}

// SampleSizeInt is the (first) sample_size, the image side the VAE was
// trained on; used as the tiling tile size.
func (c Config) SampleSizeInt() int {
	if len(c.SampleSize) == 0 {
		return 32
	}
	return c.SampleSize[0]
}

// DownFactor is the spatial ratio between image and latent: 2^(len(block_out_channels)-1).
func (c Config) DownFactor() int {
	return 1 << (len(c.BlockOutChannels) - 1)
}

// Validate checks the config describes a model this package can build.
func (c Config) Validate() error {
	for _, check := range []func() error{c.checkBounds, c.checkSizes, c.checkBlocks, c.checkLatentStats} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkSizes checks the list lengths, channel counts and scalar settings.
func (c Config) checkSizes() error {
	n := len(c.BlockOutChannels)
	switch {
	case n == 0:
		return fmt.Errorf("block_out_channels is empty")
	case n > 16:
		return fmt.Errorf("block_out_channels has %d entries", n)
	case len(c.DownBlockTypes) != n:
		return fmt.Errorf("down_block_types has %d entries, block_out_channels %d", len(c.DownBlockTypes), n)
	case len(c.UpBlockTypes) != n:
		return fmt.Errorf("up_block_types has %d entries, block_out_channels %d", len(c.UpBlockTypes), n)
	case c.InChannels <= 0 || c.OutChannels <= 0 || c.LatentChannels <= 0:
		return fmt.Errorf("in_channels, out_channels and latent_channels must be positive")
	case c.LayersPerBlock <= 0:
		return fmt.Errorf("layers_per_block must be positive, got %d", c.LayersPerBlock)
	case c.NormNumGroups <= 0:
		return fmt.Errorf("norm_num_groups must be positive, got %d", c.NormNumGroups)
	case c.ActFn != "silu" && c.ActFn != "swish":
		return fmt.Errorf("act_fn %q not supported (silu only)", c.ActFn)
	case c.ScalingFactor == 0:
		return fmt.Errorf("scaling_factor is 0")
	case len(c.SampleSize) > 0 && c.SampleSize[0] <= 0:
		return fmt.Errorf("sample_size must be positive")
	}
	return nil
}

// checkBlocks checks the block types and that every block's channels split
// into norm_num_groups groups.
func (c Config) checkBlocks() error {
	for i, t := range c.DownBlockTypes {
		if t != "DownEncoderBlock2D" {
			return fmt.Errorf("down_block_types[%d] %q not supported", i, t)
		}
	}
	for i, t := range c.UpBlockTypes {
		if t != "UpDecoderBlock2D" {
			return fmt.Errorf("up_block_types[%d] %q not supported", i, t)
		}
	}
	for i, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%c.NormNumGroups != 0 {
			return fmt.Errorf("block_out_channels[%d]=%d is not a positive multiple of norm_num_groups %d", i, ch, c.NormNumGroups)
		}
	}
	return nil
}

// checkLatentStats checks latents_mean and latents_std have one value per
// latent channel.
func (c Config) checkLatentStats() error {
	if c.LatentsMean != nil && len(c.LatentsMean) != c.LatentChannels {
		return fmt.Errorf("latents_mean has %d entries, latent_channels %d", len(c.LatentsMean), c.LatentChannels)
	}
	if c.LatentsStd != nil && len(c.LatentsStd) != c.LatentChannels {
		return fmt.Errorf("latents_std has %d entries, latent_channels %d", len(c.LatentsStd), c.LatentChannels)
	}
	return nil
}
