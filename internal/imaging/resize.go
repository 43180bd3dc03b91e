package imaging

import "math"

// Package imaging resizes 8-bit images with the same fixed-point
// arithmetic as Pillow's Image.resize, so resized inputs equal what
// diffusers and transformers feed their models.

const resamplePrecision = 32 - 8 - 2

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func lanczos3(x float64) float64 {
	if -3 <= x && x < 3 {
		return sinc(x) * sinc(x/3)
	}
	return 0
}

// bicubic is Pillow's cubic convolution with a = -0.5.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return ((a+2)*x-(a+3))*x*x + 1
	}
	if x < 2 {
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

// Filter is a resampling filter.
type Filter struct {
	support float64
	f       func(float64) float64
}

// The filters diffusers and transformers use.
var (
	Lanczos = Filter{3, lanczos3}
	Bicubic = Filter{2, bicubic}
)

// resampleCoeffs computes, for each output position, the first input index,
// the number of taps and the fixed-point weights.
// resampleCoeffs computes the taps. prec is the fixed-point precision of the
// weights: Pillow's 22 bits, or 0 for torch's antialiased uint8 kernels,
// which take the largest precision that keeps every weight within int16.
func resampleCoeffs(flt Filter, inSize, outSize, prec int) (bounds []int, kk []int32, ksize, precOut int) {
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := flt.support * filterscale
	ksize = int(math.Ceil(support))*2 + 1
	bounds = make([]int, 2*outSize)
	kk = make([]int32, outSize*ksize)
	w := make([]float64, ksize)
	norm := make([]float64, outSize*ksize)
	for xx := 0; xx < outSize; xx++ {
		center := (float64(xx) + 0.5) * scale
		ss := 1 / filterscale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			w[x] = flt.f((float64(x+xmin) - center + 0.5) * ss)
			ww += w[x]
		}
		for x := 0; x < xmax; x++ {
			k := w[x]
			if ww != 0 {
				k /= ww
			}
			norm[xx*ksize+x] = k
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	if prec == 0 {
		wmax := 0.0
		for _, k := range norm {
			wmax = math.Max(wmax, k)
		}
		for prec = 0; prec < 22; prec++ {
			if int(0.5+wmax*float64(int(1)<<(prec+1))) >= 1<<15 {
				break
			}
		}
	}
	for i, k := range norm {
		if k < 0 {
			kk[i] = int32(-0.5 + k*float64(int(1)<<prec))
		} else {
			kk[i] = int32(0.5 + k*float64(int(1)<<prec))
		}
	}
	return bounds, kk, ksize, prec
}

func clip8(v int32, prec int) uint8 {
	if v >= 1<<prec<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> prec)
}

// Resize resizes packed 8-bit pixels (ch channels) from w x h to ow x oh:
// a horizontal pass then a vertical pass, as Pillow does.
func Resize(flt Filter, pix []uint8, w, h, ch, ow, oh int) []uint8 {
	return resize(flt, resamplePrecision, pix, w, h, ch, ow, oh)
}

// ResizeTorch resizes like torch's antialiased uint8 interpolation on the
// CPU (torchvision's resize of uint8 tensors, which transformers' image
// processors use): Pillow's algorithm with int16 weights.
func ResizeTorch(flt Filter, pix []uint8, w, h, ch, ow, oh int) []uint8 {
	return resize(flt, 0, pix, w, h, ch, ow, oh)
}

func resize(flt Filter, prec int, pix []uint8, w, h, ch, ow, oh int) []uint8 {
	hb, hk, hks, hp := resampleCoeffs(flt, w, ow, prec)
	vb, vk, vks, vp := resampleCoeffs(flt, h, oh, prec)
	src, sw, sh := pix, w, h
	first := 0
	if ow != w {
		first = vb[0]
		last := vb[2*(oh-1)] + vb[2*(oh-1)+1]
		if oh == h {
			first, last = 0, h
		}
		rows := last - first
		tmp := make([]uint8, ow*rows*ch)
		for y := 0; y < rows; y++ {
			in := src[(y+first)*sw*ch:]
			out := tmp[y*ow*ch:]
			for xx := 0; xx < ow; xx++ {
				xmin, xmax := hb[2*xx], hb[2*xx+1]
				k := hk[xx*hks:]
				for c := 0; c < ch; c++ {
					ss := int32(1 << (hp - 1))
					for x := 0; x < xmax; x++ {
						ss += int32(in[(x+xmin)*ch+c]) * k[x]
					}
					out[xx*ch+c] = clip8(ss, hp)
				}
			}
		}
		src, sw, sh = tmp, ow, rows
	}
	if oh == h && ow != w {
		return src
	}
	if oh == h {
		return append([]uint8(nil), src...)
	}
	_ = sh
	out := make([]uint8, ow*oh*ch)
	for yy := 0; yy < oh; yy++ {
		ymin, ymax := vb[2*yy]-first, vb[2*yy+1]
		k := vk[yy*vks:]
		for xx := 0; xx < sw; xx++ {
			for c := 0; c < ch; c++ {
				ss := int32(1 << (vp - 1))
				for y := 0; y < ymax; y++ {
					ss += int32(src[((y+ymin)*sw+xx)*ch+c]) * k[y]
				}
				out[(yy*sw+xx)*ch+c] = clip8(ss, vp)
			}
		}
	}
	return out
}
