package imaging

import (
	"errors"
	"fmt"
	"image"
	"reflect"
)

// ErrInvalidImage is wrapped by every error of Check.
var ErrInvalidImage = errors.New("invalid image")

// Check refuses an image the converters here cannot read without
// panicking or exhausting memory: nil (or a nil pointer), empty or
// unbounded bounds (image.Uniform's are a billion pixels a side), more
// than maxPixels pixels, a pixel buffer shorter than its bounds, a palette
// that is empty or that a pixel indexes past.
func Check(img image.Image, maxPixels int64) (err error) {
	if img == nil {
		return fmt.Errorf("nil image: %w", ErrInvalidImage)
	}
	if v := reflect.ValueOf(img); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("nil %T: %w", img, ErrInvalidImage)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%T: %v: %w", img, r, ErrInvalidImage)
		}
	}()
	b := img.Bounds()
	w, h := int64(b.Max.X)-int64(b.Min.X), int64(b.Max.Y)-int64(b.Min.Y)
	if w <= 0 || h <= 0 {
		return fmt.Errorf("empty image (bounds %v): %w", b, ErrInvalidImage)
	}
	if w > maxPixels/h {
		return fmt.Errorf("%dx%d image is above the %d-pixel limit: %w", w, h, maxPixels, ErrInvalidImage)
	}
	return checkBuffer(img, int(w), int(h))
}

// checkBuffer checks the pixel buffers of the standard library's image
// types against their bounds.
func checkBuffer(img image.Image, w, h int) error {
	var pix, stride, bpp int
	switch m := img.(type) {
	case *image.NRGBA:
		pix, stride, bpp = len(m.Pix), m.Stride, 4
	case *image.RGBA:
		pix, stride, bpp = len(m.Pix), m.Stride, 4
	case *image.NRGBA64:
		pix, stride, bpp = len(m.Pix), m.Stride, 8
	case *image.RGBA64:
		pix, stride, bpp = len(m.Pix), m.Stride, 8
	case *image.Gray:
		pix, stride, bpp = len(m.Pix), m.Stride, 1
	case *image.Gray16:
		pix, stride, bpp = len(m.Pix), m.Stride, 2
	case *image.Alpha:
		pix, stride, bpp = len(m.Pix), m.Stride, 1
	case *image.CMYK:
		pix, stride, bpp = len(m.Pix), m.Stride, 4
	case *image.Paletted:
		if len(m.Palette) == 0 {
			return fmt.Errorf("paletted image with an empty palette: %w", ErrInvalidImage)
		}
		for _, i := range m.Pix {
			if int(i) >= len(m.Palette) {
				return fmt.Errorf("paletted image: index %d past its %d-colour palette: %w", i, len(m.Palette), ErrInvalidImage)
			}
		}
		pix, stride, bpp = len(m.Pix), m.Stride, 1
	default:
		return nil
	}
	if stride < w*bpp || pix < stride*(h-1)+w*bpp {
		return fmt.Errorf("%T: %d-byte buffer (stride %d) for %dx%d pixels: %w", img, pix, stride, w, h, ErrInvalidImage)
	}
	return nil
}
