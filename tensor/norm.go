package tensor

import (
	"fmt"
	"math"
)

// GroupNorm normalises x ([N,C,...]) over groups of C/groups channels and
// all trailing positions, then applies the per-channel affine gamma, beta
// (either may be nil).
func GroupNorm(x *Dense, groups int, gamma, beta *Dense, eps float32) *Dense {
	return groupNorm(Scratch(Shape(x)...), x, groups, gamma, beta, eps, false)
}

// GroupNormInto computes GroupNorm into dst (same shape as x; may be x
// itself) and returns dst.
func GroupNormInto(dst, x *Dense, groups int, gamma, beta *Dense, eps float32) *Dense {
	return groupNorm(dst, x, groups, gamma, beta, eps, false)
}

// GroupNormSiLU is SiLU(GroupNorm(x)) in one pass over the output, the
// normalisation+activation pair that opens every ResNet block.
func GroupNormSiLU(x *Dense, groups int, gamma, beta *Dense, eps float32) *Dense {
	return groupNorm(Scratch(Shape(x)...), x, groups, gamma, beta, eps, true)
}

// GroupNormSiLUInto computes GroupNormSiLU into dst (same shape as x; may
// be x itself) and returns dst.
func GroupNormSiLUInto(dst, x *Dense, groups int, gamma, beta *Dense, eps float32) *Dense {
	return groupNorm(dst, x, groups, gamma, beta, eps, true)
}

func groupNorm(res, x *Dense, groups int, gamma, beta *Dense, eps float32, act bool) *Dense {
	sh := Shape(x)
	if len(sh) < 2 || groups <= 0 || sh[1]%groups != 0 {
		panic(fmt.Sprintf("tensor: group norm of %v into %d groups", sh, groups))
	}
	n, c := sh[0], sh[1]
	spatial := numel(sh[2:])
	cpg := c / groups
	src, dst := F32(x), F32(res)
	if len(dst) != len(src) {
		panic(fmt.Sprintf("tensor: group norm output %v for %v", res.Shape(), sh))
	}
	var g, b []float32
	if gamma != nil {
		g = F32(gamma)
	}
	if beta != nil {
		b = F32(beta)
	}
	parallelFor(n*groups, func(t int) {
		ni, gi := t/groups, t%groups
		off := (ni*c + gi*cpg) * spatial
		blk := src[off : off+cpg*spatial]
		mean, rstd := meanRstd(blk, eps)
		for ci := 0; ci < cpg; ci++ {
			ch := gi*cpg + ci
			scale, shift := rstd, -mean*rstd
			if g != nil {
				scale *= float64(g[ch])
				shift *= float64(g[ch])
			}
			if b != nil {
				shift += float64(b[ch])
			}
			s32, b32 := float32(scale), float32(shift)
			in := blk[ci*spatial : (ci+1)*spatial]
			out := dst[off+ci*spatial : off+(ci+1)*spatial]
			affine(out, in, s32, b32)
			if act {
				siluScaledSlice(out, out, 1)
			}
		}
	})
	return res
}

// meanRstd returns the mean and 1/sqrt(var+eps) (biased variance) of v,
// by two passes summing in float64.
func meanRstd(v []float32, eps float32) (mean, rstd float64) {
	sum, _ := moments(v, 0)
	n := float64(len(v))
	mean = sum / n
	_, sq := moments(v, mean)
	return mean, 1 / math.Sqrt(sq/n+float64(eps))
}

// momentsGo returns the sum of v and the sum of (v-c)², in float64.
func momentsGo(v []float32, c float64) (sum, sq float64) {
	var s0, s1, q0, q1 float64
	i := 0
	for ; i+2 <= len(v); i += 2 {
		a, b := float64(v[i]), float64(v[i+1])
		s0 += a
		s1 += b
		q0 += (a - c) * (a - c)
		q1 += (b - c) * (b - c)
	}
	for ; i < len(v); i++ {
		a := float64(v[i])
		s0 += a
		q0 += (a - c) * (a - c)
	}
	return s0 + s1, q0 + q1
}

// LayerNorm normalises x over its last dimension and applies gamma, beta
// (either may be nil).
func LayerNorm(x *Dense, gamma, beta *Dense, eps float32) *Dense {
	return LayerNormInto(Scratch(Shape(x)...), x, gamma, beta, eps)
}

// LayerNormInto computes LayerNorm into dst (same shape as x; may be x
// itself) and returns dst.
func LayerNormInto(res, x *Dense, gamma, beta *Dense, eps float32) *Dense {
	sh := Shape(x)
	d := sh[len(sh)-1]
	rows := numel(sh[:len(sh)-1])
	src, dst := F32(x), F32(res)
	if len(dst) != len(src) {
		panic(fmt.Sprintf("tensor: layer norm output %v for %v", res.Shape(), sh))
	}
	var g, b []float32
	if gamma != nil {
		g = F32(gamma)[:d]
	}
	if beta != nil {
		b = F32(beta)[:d]
	}
	parallelRange(rows, max(1, 4096/max(d, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in := src[r*d : (r+1)*d]
			out := dst[r*d : (r+1)*d]
			mean, rstd := meanRstd(in, eps)
			m32, r32 := float32(mean), float32(rstd)
			if g != nil && b != nil {
				normAffine(out, in, g, b, m32, r32)
				continue
			}
			for i, v := range in {
				y := (v - m32) * r32
				if g != nil {
					y *= g[i]
				}
				if b != nil {
					y += b[i]
				}
				out[i] = y
			}
		}
	})
	return res
}

// Softmax returns softmax over the last dimension of x.
func Softmax(x *Dense) *Dense {
	sh := Shape(x)
	d := sh[len(sh)-1]
	rows := numel(sh[:len(sh)-1])
	res := New(sh...)
	src, dst := F32(x), F32(res)
	parallelRange(rows, max(1, 4096/max(d, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			copy(dst[r*d:(r+1)*d], src[r*d:(r+1)*d])
			softmaxRow(dst[r*d : (r+1)*d])
		}
	})
	return res
}

// SoftmaxInPlace replaces x by its softmax over the last dimension and
// returns x.
func SoftmaxInPlace(x *Dense) *Dense {
	sh := x.Shape()
	d := sh[len(sh)-1]
	v := F32(x)
	parallelRange(len(v)/max(d, 1), max(1, 4096/max(d, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(v[r*d : (r+1)*d])
		}
	})
	return x
}

// softmaxRow replaces v by its softmax in place.
func softmaxRow(v []float32) {
	if len(v) == 0 {
		return
	}
	inv := 1 / expSubSum(v)
	for i := range v {
		v[i] *= inv
	}
}

// expSubSumGo replaces v[i] by exp(v[i]-m) and returns their sum.
func expSubSumGo(v []float32, m float32) float32 {
	var sum float32
	for i, x := range v {
		e := expf(x - m)
		v[i] = e
		sum += e
	}
	return sum
}

// normAffineGo sets dst[i] = (src[i]-m)*r*g[i] + b[i].
func normAffineGo(dst, src, g, b []float32, m, r float32) {
	src, g, b = src[:len(dst)], g[:len(dst)], b[:len(dst)]
	for i, v := range src {
		dst[i] = (v-m)*r*g[i] + b[i]
	}
}
