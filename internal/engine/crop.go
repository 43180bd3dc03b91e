package engine

import (
	"image"
	"slices"

	"github.com/goautopipe/diffusers/internal/imaging"
)

// Inpainting with padding_mask_crop, as diffusers does it: the region
// around the mask (with a margin, grown to the output's aspect ratio) is
// cropped from image and mask and resized to fill the output size; the
// generated image is then resized back into that region and composited
// over the original image where the mask is not set.

// raster is packed 8-bit pixels of ch channels.
type raster struct {
	pix     []uint8
	w, h, c int
}

func rgbRaster(img image.Image) raster {
	p, w, h := imaging.RGB8(img)
	return raster{p, w, h, 3}
}

// maskRaster keeps a gray mask gray, and other masks RGB (diffusers
// converts masks to grayscale after resizing).
func maskRaster(img image.Image) raster {
	if _, ok := img.(*image.Gray); ok {
		p, w, h := imaging.Gray8(img)
		return raster{p, w, h, 1}
	}
	return rgbRaster(img)
}

func (r raster) crop(rc image.Rectangle) raster {
	out := raster{make([]uint8, rc.Dx()*rc.Dy()*r.c), rc.Dx(), rc.Dy(), r.c}
	for y := 0; y < rc.Dy(); y++ {
		copy(out.pix[y*out.w*r.c:(y+1)*out.w*r.c], r.pix[((rc.Min.Y+y)*r.w+rc.Min.X)*r.c:])
	}
	return out
}

func (r raster) resize(w, h int) raster {
	if w == r.w && h == r.h {
		return r
	}
	return raster{imaging.Resize(imaging.Lanczos, r.pix, r.w, r.h, r.c, w, h), w, h, r.c}
}

// resizeBox is Pillow's resize(size, box=...) with its default (bicubic) filter.
func (r raster) resizeBox(box [4]float32, w, h int) raster {
	return raster{imaging.ResizeBox(imaging.Bicubic, r.pix, r.w, r.h, r.c, box, w, h), w, h, r.c}
}

// paste copies src into r at (x, y), clipped to r.
func (r raster) paste(src raster, x, y int) {
	for sy := 0; sy < src.h; sy++ {
		dy := y + sy
		if dy < 0 || dy >= r.h {
			continue
		}
		for sx := 0; sx < src.w; sx++ {
			dx := x + sx
			if dx < 0 || dx >= r.w {
				continue
			}
			copy(r.pix[(dy*r.w+dx)*r.c:(dy*r.w+dx+1)*r.c], src.pix[(sy*src.w+sx)*src.c:(sy*src.w+sx+1)*src.c])
		}
	}
}

// gray converts to one channel as PIL's convert("L").
func (r raster) gray() raster {
	if r.c == 1 {
		return r
	}
	out := raster{make([]uint8, r.w*r.h), r.w, r.h, 1}
	for i := range out.pix {
		rr, g, b := uint32(r.pix[3*i]), uint32(r.pix[3*i+1]), uint32(r.pix[3*i+2])
		out.pix[i] = uint8((rr*19595 + g*38470 + b*7471 + 0x8000) >> 16)
	}
	return out
}

// CropRegion is diffusers' get_crop_region: the smallest rectangle holding
// every non-zero mask pixel, grown by pad, then grown to the aspect ratio
// of width x height within the mask's bounds.
func CropRegion(mask image.Image, width, height, pad int) image.Rectangle {
	m := maskRaster(mask).gray()
	w, h := m.w, m.h
	nz := m.nonZeroBounds()
	x1, y1 := max(nz.Min.X-pad, 0), max(nz.Min.Y-pad, 0)
	x2, y2 := min(nz.Max.X+pad, w), min(nz.Max.Y+pad, h)
	if x2 <= x1 || y2 <= y1 { // empty mask: the whole image
		x1, y1, x2, y2 = 0, 0, w, h
	}
	ratioCrop := float64(x2-x1) / float64(y2-y1)
	ratioOut := float64(width) / float64(height)
	if ratioCrop > ratioOut {
		y1, y2 = growSpan(y1, y2, int(float64(x2-x1)/ratioOut-float64(y2-y1)), h)
	} else {
		x1, x2 = growSpan(x1, x2, int(float64(y2-y1)*ratioOut-float64(x2-x1)), w)
	}
	return image.Rect(x1, y1, x2, y2)
}

// nonZeroBounds returns the columns and rows between the empty ones at
// each edge (as diffusers counts them: the empty columns from the left and
// from the right, the empty rows from the top and from the bottom).
func (r raster) nonZeroBounds() image.Rectangle {
	colEmpty := func(x int) bool {
		for y := 0; y < r.h; y++ {
			if r.pix[y*r.w+x] != 0 {
				return false
			}
		}
		return true
	}
	rowEmpty := func(y int) bool {
		return !slices.ContainsFunc(r.pix[y*r.w:(y+1)*r.w], func(v uint8) bool { return v != 0 })
	}
	left, right := emptyRun(r.w, colEmpty)
	top, bottom := emptyRun(r.h, rowEmpty)
	return image.Rectangle{Min: image.Pt(left, top), Max: image.Pt(r.w-right, r.h-bottom)}
}

// emptyRun counts the empty lines from the start and from the end of n.
func emptyRun(n int, empty func(int) bool) (fromStart, fromEnd int) {
	for i := 0; i < n && empty(i); i++ {
		fromStart++
	}
	for i := n - 1; i >= 0 && empty(i); i-- {
		fromEnd++
	}
	return fromStart, fromEnd
}

// growSpan widens [lo, hi) by diff, half on each side, shifted back inside
// [0, limit] as diffusers does.
func growSpan(lo, hi, diff, limit int) (int, int) {
	lo -= floorDiv(diff, 2)
	hi += diff - floorDiv(diff, 2)
	if hi >= limit {
		d := hi - limit
		hi -= d
		lo -= d
	}
	if lo < 0 {
		hi -= lo
		lo = 0
	}
	return lo, min(hi, limit)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fill is diffusers' _resize_and_fill: resize keeping the aspect ratio to
// fit width x height, centre it, and fill the bars by stretching the
// image's edges.
func (r raster) fill(width, height int) raster {
	ratio := float64(width) / float64(height)
	src := float64(r.w) / float64(r.h)
	sw, sh := r.w*height/r.h, r.h*width/r.w
	if ratio < src {
		sw = width
	}
	if ratio >= src {
		sh = height
	}
	resized := r.resize(sw, sh)
	res := raster{make([]uint8, width*height*r.c), width, height, r.c}
	res.paste(resized, width/2-sw/2, height/2-sh/2)
	switch {
	case ratio < src:
		fh := height/2 - sh/2
		if fh > 0 {
			res.paste(resized.resizeBox([4]float32{0, 0, float32(width), 0}, width, fh), 0, 0)
			res.paste(resized.resizeBox([4]float32{0, float32(resized.h), float32(width), float32(resized.h)}, width, fh), 0, fh+sh)
		}
	case ratio > src:
		fw := width/2 - sw/2
		if fw > 0 {
			res.paste(resized.resizeBox([4]float32{0, 0, 0, float32(height)}, fw, height), 0, 0)
			res.paste(resized.resizeBox([4]float32{float32(resized.w), 0, float32(resized.w), float32(height)}, fw, height), fw+sw, 0)
		}
	}
	return res
}

// cropResize is diffusers' _resize_and_crop: resize keeping the aspect
// ratio to cover width x height, centred, the excess cut.
func (r raster) cropResize(width, height int) raster {
	ratio := float64(width) / float64(height)
	src := float64(r.w) / float64(r.h)
	sw, sh := r.w*height/r.h, r.h*width/r.w
	if ratio > src {
		sw = width
	}
	if ratio <= src {
		sh = height
	}
	res := raster{make([]uint8, width*height*r.c), width, height, r.c}
	res.paste(r.resize(sw, sh), width/2-sw/2, height/2-sh/2)
	return res
}

// overlay is diffusers' apply_overlay: the generated image, resized into
// the crop region of the original's size, composited under the original
// image where the mask is not set (PIL's RGBa paste and alpha_composite
// arithmetic).
func overlay(mask, original image.Image, generated image.Image, crop image.Rectangle) image.Image {
	orig := rgbRaster(original)
	m := maskRaster(mask).gray()
	w, h := orig.w, orig.h
	gen := rgbRaster(generated).cropResize(crop.Dx(), crop.Dy())
	base := raster{make([]uint8, w*h*3), w, h, 3}
	base.paste(gen, crop.Min.X, crop.Min.Y)
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		var a uint32
		if i < len(m.pix) {
			a = 255 - uint32(m.pix[i]) // inverted mask is the paste mask
		}
		for c := 0; c < 3; c++ {
			d := uint32(base.pix[3*i+c])
			// paste into a zero RGBa canvas with mask a: PIL's BLEND
			t := uint32(orig.pix[3*i+c])*a + 128
			pm := ((t >> 8) + t) >> 8
			// RGBa -> RGBA
			var s uint32
			switch a {
			case 0:
				s = 0
			case 255:
				s = pm
			default:
				s = min(255*pm/a, 255)
			}
			// alpha_composite over an opaque destination
			v := d
			if a != 0 {
				coef1 := a * 128
				coef2 := (255 - a) * 128
				tmp := s*coef1 + d*coef2 + 0x80<<7
				v = (((tmp >> 8) + tmp) >> 8) >> 7
			}
			out.Pix[4*i+c] = uint8(v)
		}
		out.Pix[4*i+3] = 255
	}
	return out
}
