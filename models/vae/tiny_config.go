package vae

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/internal/config"
)

// TinyConfig is an AutoencoderTiny config.json (TAESD, TAESDXL). Fields
// absent from the file take diffusers' defaults (see DefaultTinyConfig).
type TinyConfig struct {
	InChannels  int `json:"in_channels"`
	OutChannels int `json:"out_channels"`
	// EncoderBlockOutChannels and NumEncoderBlocks: per stage, the channel
	// width and the number of AutoencoderTinyBlocks after the stage's
	// (stride-2, except the first) convolution.
	EncoderBlockOutChannels []int `json:"encoder_block_out_channels"`
	NumEncoderBlocks        []int `json:"num_encoder_blocks"`
	// DecoderBlockOutChannels and NumDecoderBlocks: per stage, the width and
	// block count before the stage's upsampling (none after the last).
	DecoderBlockOutChannels []int  `json:"decoder_block_out_channels"`
	NumDecoderBlocks        []int  `json:"num_decoder_blocks"`
	ActFn                   string `json:"act_fn"`
	UpsampleFn              string `json:"upsample_fn"`
	UpsamplingScalingFactor int    `json:"upsampling_scaling_factor"`
	LatentChannels          int    `json:"latent_channels"`
	// LatentMagnitude and LatentShift map raw latents to [0, 1] and back
	// (ScaleLatents, UnscaleLatents): x/(2*magnitude) + shift.
	LatentMagnitude  float64 `json:"latent_magnitude"`
	LatentShift      float64 `json:"latent_shift"`
	ScalingFactor    float64 `json:"scaling_factor"`
	ShiftFactor      float64 `json:"shift_factor"`
	ForceUpcast      bool    `json:"force_upcast"`
	ClassName        string  `json:"_class_name"`
	DiffusersVersion string  `json:"_diffusers_version"`
	NameOrPath       string  `json:"_name_or_path"`
}

// DefaultTinyConfig returns diffusers' AutoencoderTiny defaults (TAESD).
func DefaultTinyConfig() TinyConfig {
	return TinyConfig{
		InChannels:              3,
		OutChannels:             3,
		EncoderBlockOutChannels: []int{64, 64, 64, 64},
		DecoderBlockOutChannels: []int{64, 64, 64, 64},
		NumEncoderBlocks:        []int{1, 3, 3, 3},
		NumDecoderBlocks:        []int{3, 3, 3, 1},
		ActFn:                   "relu",
		UpsampleFn:              "nearest",
		UpsamplingScalingFactor: 2,
		LatentChannels:          4,
		LatentMagnitude:         3,
		LatentShift:             0.5,
		ScalingFactor:           1,
	}
}

// ReadTinyConfig reads an AutoencoderTiny config.json, filling absent keys
// with diffusers' defaults, and validates it.
func ReadTinyConfig(path string) (TinyConfig, error) {
	c := DefaultTinyConfig()
	if err := config.ReadJSON(path, &c); err != nil {
		return TinyConfig{}, fmt.Errorf("vae: %w", err)
	}
	if err := c.Validate(); err != nil {
		return TinyConfig{}, fmt.Errorf("vae: %s: %w", path, err)
	}
	return c, nil
}

// ParseTinyConfig decodes a config from JSON bytes (defaults filled,
// validated).
func ParseTinyConfig(data []byte) (TinyConfig, error) {
	c := DefaultTinyConfig()
	if err := json.Unmarshal(data, &c); err != nil {
		return TinyConfig{}, fmt.Errorf("vae: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return TinyConfig{}, fmt.Errorf("vae: config: %w", err)
	}
	return c, nil
}

// DownFactor is the spatial ratio between image and latent, as diffusers'
// pipelines compute it from the registered block_out_channels (the decoder's).
func (c TinyConfig) DownFactor() int {
	return 1 << (len(c.DecoderBlockOutChannels) - 1)
}

// maxTinyWidth bounds channel widths and block counts read from a config.
const maxTinyWidth = 1 << 14

// Validate checks the config describes a model this package can build.
func (c TinyConfig) Validate() error {
	if err := c.validateLayout(); err != nil {
		return err
	}
	if err := c.validateValues(); err != nil {
		return err
	}
	return c.validateWidths()
}

// validateLayout checks the stage lists agree.
func (c TinyConfig) validateLayout() error {
	ne, nd := len(c.EncoderBlockOutChannels), len(c.DecoderBlockOutChannels)
	switch {
	case ne == 0 || nd == 0 || ne > 16 || nd > 16:
		return fmt.Errorf("encoder/decoder_block_out_channels must have 1 to 16 entries")
	case len(c.NumEncoderBlocks) != ne:
		return fmt.Errorf("num_encoder_blocks has %d entries, encoder_block_out_channels %d", len(c.NumEncoderBlocks), ne)
	case len(c.NumDecoderBlocks) != nd:
		return fmt.Errorf("num_decoder_blocks has %d entries, decoder_block_out_channels %d", len(c.NumDecoderBlocks), nd)
	case ne != nd:
		return fmt.Errorf("encoder has %d stages, decoder %d: the latent scale would differ", ne, nd)
	}
	return nil
}

// validateValues checks the scalar settings.
func (c TinyConfig) validateValues() error {
	switch {
	case !positive(c.InChannels, c.OutChannels, c.LatentChannels) || c.InChannels > maxTinyWidth || c.OutChannels > maxTinyWidth || c.LatentChannels > maxTinyWidth:
		return fmt.Errorf("in_channels, out_channels and latent_channels must be in [1, %d]", maxTinyWidth)
	case c.ActFn != "relu" && c.ActFn != "silu" && c.ActFn != "swish":
		return fmt.Errorf("act_fn %q not supported (relu, silu)", c.ActFn)
	case c.UpsampleFn != "nearest" || c.UpsamplingScalingFactor != 2:
		return fmt.Errorf("upsampling %q x%d not supported (nearest x2)", c.UpsampleFn, c.UpsamplingScalingFactor)
	case c.ScalingFactor == 0 || !finite(c.ScalingFactor, c.ShiftFactor, c.LatentMagnitude, c.LatentShift):
		return fmt.Errorf("scaling_factor must be non-zero and the latent constants finite")
	case c.LatentMagnitude == 0:
		return fmt.Errorf("latent_magnitude is 0")
	}
	return nil
}

// validateWidths checks the per-stage widths and block counts.
func (c TinyConfig) validateWidths() error {
	for _, l := range [][]int{c.EncoderBlockOutChannels, c.DecoderBlockOutChannels} {
		for _, v := range l {
			if v <= 0 || v > maxTinyWidth {
				return fmt.Errorf("block widths must be in [1, %d], got %d", maxTinyWidth, v)
			}
		}
	}
	for _, l := range [][]int{c.NumEncoderBlocks, c.NumDecoderBlocks} {
		for _, v := range l {
			if v < 0 || v > 64 {
				return fmt.Errorf("block counts must be in [0, 64], got %d", v)
			}
		}
	}
	// diffusers' stage convolutions keep the stage's width, so a model whose
	// widths change between stages cannot run there either
	for _, l := range [][]int{c.EncoderBlockOutChannels, c.DecoderBlockOutChannels} {
		for i := 1; i < len(l); i++ {
			if l[i] != l[0] {
				return fmt.Errorf("block widths must be equal across stages, got %v", l)
			}
		}
	}
	return nil
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func positive(xs ...int) bool {
	for _, x := range xs {
		if x <= 0 {
			return false
		}
	}
	return true
}
