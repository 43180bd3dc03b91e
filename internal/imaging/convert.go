package imaging

import (
	"image"
	"image/color"
)

// RGB8 returns the image as packed 8-bit RGB, converting as PIL's
// convert("RGB") does.
func RGB8(img image.Image) (pix []uint8, w, h int) {
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

// Gray8 returns the image as 8-bit luminance, as PIL's convert("L"):
// L = R*299/1000 + G*587/1000 + B*114/1000 in fixed point.
func Gray8(img image.Image) (pix []uint8, w, h int) {
	if g, ok := img.(*image.Gray); ok {
		b := g.Bounds()
		w, h = b.Dx(), b.Dy()
		pix = make([]uint8, w*h)
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], g.Pix[(y)*g.Stride:])
		}
		return pix, w, h
	}
	rgb, w, h := RGB8(img)
	pix = make([]uint8, w*h)
	for i := range pix {
		r, g, b := uint32(rgb[3*i]), uint32(rgb[3*i+1]), uint32(rgb[3*i+2])
		pix[i] = uint8((r*19595 + g*38470 + b*7471 + 0x8000) >> 16)
	}
	return pix, w, h
}
