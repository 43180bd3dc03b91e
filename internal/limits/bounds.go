package limits

import (
	"errors"
	"fmt"
	"math"
)

// ErrOutOfRange is wrapped by every error of the value checks below: a
// count, size or float outside what any real checkpoint or request uses.
var ErrOutOfRange = errors.New("value out of range")

// Bounds on config values. They are far above every published Stable
// Diffusion, SDXL or CLIP configuration and far below what would exhaust
// memory while building a model from the config alone.
const (
	MaxBlocks         = 16      // entries of block_out_channels, down_block_types, ...
	MaxLayers         = 256     // layers_per_block, num_hidden_layers, transformer_layers_per_block
	MaxChannels       = 1 << 15 // a channel count, hidden or intermediate size, embedding dim
	MaxHeads          = 1024    // attention heads
	MaxGroups         = 1024    // norm_num_groups
	MaxKernel         = 15      // convolution kernel side
	MaxVocab          = 1 << 22 // vocab_size
	MaxPositions      = 1 << 16 // max_position_embeddings
	MaxSampleSize     = 1 << 14 // sample_size, image_size, crop_size, shortest_edge
	MaxTrainTimesteps = 100000  // num_train_timesteps
)

// Int checks lo <= v <= hi for the config key or request field named field.
func Int(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s: %d is outside [%d, %d]: %w", field, v, lo, hi, ErrOutOfRange)
	}
	return nil
}

// Ints checks every value of a list with Int and the list's length against
// maxLen.
func Ints(field string, vs []int, lo, hi, maxLen int) error {
	if len(vs) > maxLen {
		return fmt.Errorf("%s: %d entries, at most %d: %w", field, len(vs), maxLen, ErrOutOfRange)
	}
	for i, v := range vs {
		if err := Int(fmt.Sprintf("%s[%d]", field, i), v, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// Finite checks that v is neither NaN nor infinite.
func Finite(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: %v is not a finite number: %w", field, v, ErrOutOfRange)
	}
	return nil
}

// Float checks that v is finite and lo <= v <= hi.
func Float(field string, v, lo, hi float64) error {
	if err := Finite(field, v); err != nil {
		return err
	}
	if v < lo || v > hi {
		return fmt.Errorf("%s: %v is outside [%v, %v]: %w", field, v, lo, hi, ErrOutOfRange)
	}
	return nil
}

// Positive checks that v is finite and above zero.
func Positive(field string, v float64) error {
	if err := Finite(field, v); err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("%s: %v must be above zero: %w", field, v, ErrOutOfRange)
	}
	return nil
}

// Floats checks that every value of a list is finite.
func Floats(field string, vs []float64) error {
	for i, v := range vs {
		if err := Finite(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// First returns the first non-nil error, so a validation reads as a list.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
