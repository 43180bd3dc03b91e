package autopipeline

import (
	"fmt"
	"image"

	"github.com/goautopipe/diffusers/internal/imaging"
)

// ErrInvalidImage is wrapped by the errors of the image utilities for an
// image they cannot use: nil, empty, unbounded (image.Uniform), above
// DefaultMaxImagePixels, with a pixel buffer shorter than its bounds, or a
// paletted image with an empty palette or an index past it.
var ErrInvalidImage = imaging.ErrInvalidImage

// checkImage checks img before a utility reads it; what names the utility.
func checkImage(what string, img image.Image) error {
	if err := imaging.Check(img, DefaultMaxImagePixels); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
