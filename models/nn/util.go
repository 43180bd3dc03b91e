package nn

import "github.com/goautopipe/diffusers/tensor"

// divInPlace divides every element of x by d (as torch's x / d).
func divInPlace(x *tensor.Dense, d float32) {
	v := tensor.F32(x)
	for i := range v {
		v[i] /= d
	}
}

// padRightBottom pads x [N, C, H, W] with one zero column on the right and
// one zero row at the bottom (F.pad(x, (0, 1, 0, 1))).
func padRightBottom(x *tensor.Dense) *tensor.Dense {
	s := x.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	out := tensor.New(n, c, h+1, w+1)
	src, dst := tensor.F32(x), tensor.F32(out)
	for p := 0; p < n*c; p++ {
		for y := 0; y < h; y++ {
			copy(dst[(p*(h+1)+y)*(w+1):(p*(h+1)+y)*(w+1)+w], src[(p*h+y)*w:(p*h+y+1)*w])
		}
	}
	return out
}

// avgPool2x2 is F.avg_pool2d(x, kernel_size=2, stride=2) on [N, C, H, W].
func avgPool2x2(x *tensor.Dense) *tensor.Dense {
	s := x.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	oh, ow := h/2, w/2
	out := tensor.New(n, c, oh, ow)
	src, dst := tensor.F32(x), tensor.F32(out)
	for p := 0; p < n*c; p++ {
		for y := 0; y < oh; y++ {
			r0 := src[(p*h+2*y)*w:]
			r1 := src[(p*h+2*y+1)*w:]
			for xx := 0; xx < ow; xx++ {
				dst[(p*oh+y)*ow+xx] = (r0[2*xx] + r0[2*xx+1] + r1[2*xx] + r1[2*xx+1]) / 4
			}
		}
	}
	return out
}
