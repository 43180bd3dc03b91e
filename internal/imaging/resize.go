// Package imaging resizes 8-bit images with the same fixed-point
// arithmetic as Pillow's Image.resize (and torch's antialiased uint8
// interpolation), so resized inputs equal what diffusers and transformers
// feed their models.
package imaging

import "math"

const pillowPrecision = 32 - 8 - 2

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
	x = math.Abs(x)
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

// coeffs computes the taps for the source span [in0, in1) of an axis of
// inSize pixels resampled to outSize. prec is the fixed-point precision:
// Pillow's 22 bits, or 0 for torch's antialiased uint8 kernels, which take
// the largest precision that keeps every weight within int16.
func coeffs(flt Filter, inSize int, in0, in1 float32, outSize, prec int) (bounds []int, kk []int32, ksize, precOut int) {
	scale := float64(in1-in0) / float64(outSize)
	filterscale := math.Max(scale, 1)
	support := flt.support * filterscale
	ksize = int(math.Ceil(support))*2 + 1
	bounds = make([]int, 2*outSize)
	norm := make([]float64, outSize*ksize)
	for xx := 0; xx < outSize; xx++ {
		center := float64(in0) + (float64(xx)+0.5)*scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		w := norm[xx*ksize : xx*ksize+ksize]
		ww := 0.0
		for x := 0; x < xmax; x++ {
			w[x] = flt.f((float64(x+xmin) - center + 0.5) / filterscale)
			ww += w[x]
		}
		if ww != 0 {
			for x := 0; x < xmax; x++ {
				w[x] /= ww
			}
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
	kk = make([]int32, len(norm))
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

// Resize resizes packed 8-bit pixels (ch channels) from w x h to ow x oh
// as Pillow's Image.resize does.
func Resize(flt Filter, pix []uint8, w, h, ch, ow, oh int) []uint8 {
	return resize(flt, pillowPrecision, pix, w, h, ch, [4]float32{0, 0, float32(w), float32(h)}, ow, oh)
}

// ResizeBox resamples the source box (x0, y0, x1, y1) to ow x oh, as
// Pillow's Image.resize(size, filter, box).
func ResizeBox(flt Filter, pix []uint8, w, h, ch int, box [4]float32, ow, oh int) []uint8 {
	return resize(flt, pillowPrecision, pix, w, h, ch, box, ow, oh)
}

// ResizeTorch resizes like torch's antialiased uint8 interpolation on the
// CPU (torchvision's resize of uint8 tensors, which transformers' image
// processors use): Pillow's algorithm with int16 weights.
func ResizeTorch(flt Filter, pix []uint8, w, h, ch, ow, oh int) []uint8 {
	return resize(flt, 0, pix, w, h, ch, [4]float32{0, 0, float32(w), float32(h)}, ow, oh)
}

// resize is Pillow's two-pass resampling: a horizontal pass over the rows
// the vertical pass needs, then a vertical pass.
func resize(flt Filter, prec int, pix []uint8, w, h, ch int, box [4]float32, ow, oh int) []uint8 {
	hb, hk, hks, hp := coeffs(flt, w, box[0], box[2], ow, prec)
	vb, vk, vks, vp := coeffs(flt, h, box[1], box[3], oh, prec)
	needH := ow != w || box[0] != 0 || box[2] != float32(ow)
	needV := oh != h || box[1] != 0 || box[3] != float32(oh)
	src, sw := pix, w
	if needH {
		first := vb[0]
		last := vb[2*(oh-1)] + vb[2*(oh-1)+1]
		for i := 0; i < oh; i++ {
			vb[2*i] -= first
		}
		rows := last - first
		tmp := make([]uint8, ow*rows*ch)
		for y := 0; y < rows; y++ {
			in := pix[(y+first)*w*ch:]
			out := tmp[y*ow*ch:]
			for xx := 0; xx < ow; xx++ {
				xmin, n := hb[2*xx], hb[2*xx+1]
				k := hk[xx*hks:]
				for c := 0; c < ch; c++ {
					ss := int32(1 << (hp - 1))
					for x := 0; x < n; x++ {
						ss += int32(in[(x+xmin)*ch+c]) * k[x]
					}
					out[xx*ch+c] = clip8(ss, hp)
				}
			}
		}
		src, sw = tmp, ow
	}
	if !needV {
		return append([]uint8(nil), src[:sw*oh*ch]...)
	}
	out := make([]uint8, sw*oh*ch)
	for yy := 0; yy < oh; yy++ {
		ymin, n := vb[2*yy], vb[2*yy+1]
		k := vk[yy*vks:]
		for xx := 0; xx < sw; xx++ {
			for c := 0; c < ch; c++ {
				ss := int32(1 << (vp - 1))
				for y := 0; y < n; y++ {
					ss += int32(src[((y+ymin)*sw+xx)*ch+c]) * k[y]
				}
				out[(yy*sw+xx)*ch+c] = clip8(ss, vp)
			}
		}
	}
	return out
}

// Reduce averages fx x fy blocks as Pillow's Image.reduce, including its
// fixed-point rounding and the partial blocks of the last row and column.
func Reduce(pix []uint8, w, h, ch, fx, fy int) ([]uint8, int, int) {
	ow, oh := (w+fx-1)/fx, (h+fy-1)/fy
	out := make([]uint8, ow*oh*ch)
	for y := 0; y < oh; y++ {
		y0, y1 := y*fy, min((y+1)*fy, h)
		for x := 0; x < ow; x++ {
			x0, x1 := x*fx, min((x+1)*fx, w)
			n := uint32((y1 - y0) * (x1 - x0))
			// Pillow: multiplier = (float)2^32 / (256*n), truncated.
			mult := uint32(float32(4294967296.0) / float32(uint32(256)*n))
			amend := n / 2
			for c := 0; c < ch; c++ {
				var ss uint32
				for yy := y0; yy < y1; yy++ {
					for xx := x0; xx < x1; xx++ {
						ss += uint32(pix[(yy*w+xx)*ch+c])
					}
				}
				out[(y*ow+x)*ch+c] = uint8(((ss + amend) * mult) >> 24)
			}
		}
	}
	return out, ow, oh
}
