package engine

import (
	"fmt"
	"image"
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// ImageProcessor converts between images and the VAE's pixel tensors, the
// way diffusers' VaeImageProcessor does (resize with Lanczos to multiples
// of the VAE scale factor, normalise to [-1, 1], postprocess to 8 bits).
type ImageProcessor struct {
	VAEScaleFactor int
}

// DefaultSize returns the image's size rounded down to multiples of the
// VAE scale factor, for the dimensions not given (zero).
func (p ImageProcessor) DefaultSize(img image.Image, width, height int) (int, int) {
	b := img.Bounds()
	if width == 0 {
		width = b.Dx()
	}
	if height == 0 {
		height = b.Dy()
	}
	f := p.VAEScaleFactor
	return width - width%f, height - height%f
}

// Preprocess turns an image into a [1,3,height,width] tensor in [-1, 1].
func (p ImageProcessor) Preprocess(img image.Image, width, height int) (*tensor.Dense, error) {
	return p.preprocess(img, width, height, nil)
}

// preprocess optionally crops img to crop and then resizes it: to exactly
// width x height, or with a crop, keeping the aspect ratio and filling the
// rest (diffusers' resize_mode "fill").
func (p ImageProcessor) preprocess(img image.Image, width, height int, crop *image.Rectangle) (*tensor.Dense, error) {
	if img == nil {
		return nil, fmt.Errorf("image: nil image")
	}
	r, err := p.sized(rgbRaster(img), width, height, crop)
	if err != nil {
		return nil, err
	}
	out := tensor.New(1, 3, r.h, r.w)
	d := tensor.F32(out)
	plane := r.w * r.h
	for i := 0; i < plane; i++ {
		for c := 0; c < 3; c++ {
			v := float32(r.pix[3*i+c]) / 255
			d[c*plane+i] = 2*v - 1
		}
	}
	return out, nil
}

func (p ImageProcessor) sized(r raster, width, height int, crop *image.Rectangle) (raster, error) {
	if crop != nil {
		r = r.crop(*crop)
	}
	f := p.VAEScaleFactor
	if width == 0 {
		width = r.w - r.w%f
	}
	if height == 0 {
		height = r.h - r.h%f
	}
	if width <= 0 || height <= 0 {
		return r, fmt.Errorf("image: size %dx%d is too small for a VAE scale factor of %d", r.w, r.h, f)
	}
	if crop != nil {
		return r.fill(width, height), nil
	}
	return r.resize(width, height), nil
}

// PreprocessMask turns a mask into a [1,1,height,width] tensor of 0 and 1
// (resized, then grayscale, values < 0.5 become 0, the rest 1).
func (p ImageProcessor) PreprocessMask(img image.Image, width, height int) (*tensor.Dense, error) {
	return p.preprocessMask(img, width, height, nil)
}

func (p ImageProcessor) preprocessMask(img image.Image, width, height int, crop *image.Rectangle) (*tensor.Dense, error) {
	if img == nil {
		return nil, fmt.Errorf("mask_image: nil image")
	}
	r, err := p.sized(maskRaster(img), width, height, crop)
	if err != nil {
		return nil, err
	}
	r = r.gray()
	out := tensor.New(1, 1, r.h, r.w)
	d := tensor.F32(out)
	for i, v := range r.pix {
		if float32(v)/255 >= 0.5 {
			d[i] = 1
		}
	}
	return out, nil
}

// Postprocess turns a [N,3,H,W] tensor in [-1, 1] into 8-bit images.
// Images whose denormalize flag is false (safety-checked ones) are taken
// as already in [0, 1].
func (p ImageProcessor) Postprocess(x *tensor.Dense, denormalize []bool) []image.Image {
	sh := x.Shape()
	n, c, h, w := sh[0], sh[1], sh[2], sh[3]
	d := tensor.F32(x)
	out := make([]image.Image, n)
	plane := h * w
	for b := 0; b < n; b++ {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		src := d[b*c*plane:]
		denorm := denormalize == nil || denormalize[b]
		for i := 0; i < plane; i++ {
			for ch := 0; ch < 3; ch++ {
				v := src[(ch%c)*plane+i]
				if denorm {
					v = v/2 + 0.5
				}
				img.Pix[4*i+ch] = ToUint8(v)
			}
			img.Pix[4*i+3] = 255
		}
		out[b] = img
	}
	return out
}

// ToUint8 maps a value in [0, 1] to 8 bits as diffusers does:
// clamp, multiply by 255 in float32, round half to even.
func ToUint8(v float32) uint8 {
	if v < 0 {
		v = 0
	} else if v > 1 {
		v = 1
	}
	return uint8(math.RoundToEven(float64(v * 255)))
}
