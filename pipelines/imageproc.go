package pipelines

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/goautopipe/autopipeline/tensor"
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

// rgb8 returns the image as packed 8-bit RGB, converting as PIL's
// convert("RGB") does.
func rgb8(img image.Image) (pix []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]uint8, w*h*3)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			pix[i], pix[i+1], pix[i+2] = c.R, c.G, c.B
			i += 3
		}
	}
	return pix, w, h
}

// gray8 returns the image as 8-bit luminance, as PIL's convert("L"):
// L = R*299/1000 + G*587/1000 + B*114/1000 in fixed point.
func gray8(img image.Image) (pix []uint8, w, h int) {
	if g, ok := img.(*image.Gray); ok {
		b := g.Bounds()
		w, h = b.Dx(), b.Dy()
		pix = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], g.Pix[(y)*g.Stride:])
		}
		return pix, w, h
	}
	rgb, w, h := rgb8(img)
	pix = make([]uint8, w*h)
	for i := range pix {
		r, g, b := uint32(rgb[3*i]), uint32(rgb[3*i+1]), uint32(rgb[3*i+2])
		pix[i] = uint8((r*19595 + g*38470 + b*7471 + 0x8000) >> 16)
	}
	return pix, w, h
}

// Preprocess turns an image into a [1,3,height,width] tensor in [-1, 1].
func (p ImageProcessor) Preprocess(img image.Image, width, height int) (*tensor.Dense, error) {
	if img == nil {
		return nil, fmt.Errorf("image: nil image")
	}
	width, height = p.DefaultSize(img, width, height)
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("image: size %dx%d is too small for a VAE scale factor of %d", img.Bounds().Dx(), img.Bounds().Dy(), p.VAEScaleFactor)
	}
	pix, w, h := rgb8(img)
	if w != width || h != height {
		pix = ResizeLanczos(pix, w, h, 3, width, height)
	}
	out := tensor.New(1, 3, height, width)
	d := tensor.F32(out)
	plane := width * height
	for i := 0; i < plane; i++ {
		for c := 0; c < 3; c++ {
			v := float32(pix[3*i+c]) / 255
			d[c*plane+i] = 2*v - 1
		}
	}
	return out, nil
}

// PreprocessMask turns a mask into a [1,1,height,width] tensor of 0 and 1
// (grayscale, resized, values < 0.5 become 0, the rest 1).
func (p ImageProcessor) PreprocessMask(img image.Image, width, height int) (*tensor.Dense, error) {
	if img == nil {
		return nil, fmt.Errorf("mask_image: nil image")
	}
	width, height = p.DefaultSize(img, width, height)
	pix, w, h := gray8(img)
	if w != width || h != height {
		pix = ResizeLanczos(pix, w, h, 1, width, height)
	}
	out := tensor.New(1, 1, height, width)
	d := tensor.F32(out)
	for i, v := range pix {
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
