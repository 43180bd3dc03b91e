package tensor

import (
	"fmt"
	"math"
)

// expf returns e^x for a float32 argument, accurate to about one ulp of
// float32 (evaluated in float64).
func expf(x float32) float32 {
	switch {
	case x > 88.72284:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	case x != x:
		return x
	}
	const log2e = 1.4426950408889634
	const ln2 = 0.6931471805599453
	xd := float64(x)
	n := math.Floor(xd*log2e + 0.5)
	r := xd - n*ln2
	// exp(r) for |r| <= ln2/2 by its Taylor series to degree 9.
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+r*(1.0/362880)))))))))
	return float32(p * math.Float64frombits(uint64(int64(n)+1023)<<52))
}

// mapUnary applies f to every element in parallel into a new tensor (or in
// place when out aliases the input).
func mapUnary(dst, src []float32, f func(float32) float32) {
	parallelRange(len(src), 1<<14, func(lo, hi int) {
		d, s := dst[lo:hi], src[lo:hi]
		for i, v := range s {
			d[i] = f(v)
		}
	})
}

func unary(x *Dense, f func(float32) float32) *Dense {
	src := F32(x)
	out := F32(Scratch(len(src)))
	mapUnary(out, src, f)
	return FromSlice(out, Shape(x)...)
}

func geluErf(v float32) float32 {
	return float32(0.5 * float64(v) * (1 + math.Erf(float64(v)*(1/math.Sqrt2))))
}

func geluTanh(v float32) float32 {
	x := float64(v)
	const c = 0.7978845608028654 // sqrt(2/pi)
	return float32(0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))))
}

// mapSlices runs f over matching chunks of dst and src in parallel.
func mapSlices(dst, src []float32, f func(d, s []float32)) {
	parallelRange(len(src), 1<<14, func(lo, hi int) { f(dst[lo:hi], src[lo:hi]) })
}

// SiLU returns x*sigmoid(x).
func SiLU(x *Dense) *Dense {
	src := F32(x)
	out := F32(Scratch(len(src)))
	mapSlices(out, src, func(d, s []float32) { siluScaledSlice(d, s, 1) })
	return FromSlice(out, Shape(x)...)
}

// SiLUInPlace applies SiLU to x in place and returns x.
func SiLUInPlace(x *Dense) *Dense {
	d := F32(x)
	mapSlices(d, d, func(d, s []float32) { siluScaledSlice(d, s, 1) })
	return x
}

// GELU is the exact (erf) Gaussian error linear unit.
func GELU(x *Dense) *Dense {
	src := F32(x)
	out := F32(Scratch(len(src)))
	mapSlices(out, src, geluSlice)
	return FromSlice(out, Shape(x)...)
}

// GELUTanh is the tanh approximation of GELU (approximate="tanh").
func GELUTanh(x *Dense) *Dense { return unary(x, geluTanh) }

// QuickGELU is x*sigmoid(1.702x), as in CLIP.
func QuickGELU(x *Dense) *Dense {
	src := F32(x)
	out := F32(Scratch(len(src)))
	mapSlices(out, src, func(d, s []float32) { siluScaledSlice(d, s, 1.702) })
	return FromSlice(out, Shape(x)...)
}

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x *Dense) *Dense {
	return unary(x, func(v float32) float32 { return 1 / (1 + expf(-v)) })
}

// GEGLU splits the last dimension of x ([..., 2H]) into halves a and g and
// returns a*gelu(g) ([..., H]).
func GEGLU(x *Dense) *Dense {
	sh := Shape(x)
	sh[len(sh)-1] /= 2
	return GEGLUInto(Scratch(sh...), x)
}

// GEGLUInto computes GEGLU into dst ([..., H]) and returns dst.
func GEGLUInto(res, x *Dense) *Dense {
	sh := Shape(x)
	d2 := sh[len(sh)-1]
	if d2%2 != 0 {
		panic("tensor: GEGLU needs an even last dimension")
	}
	h := d2 / 2
	rows := numel(sh[:len(sh)-1])
	dst, src := F32(res), F32(x)
	if len(dst) != rows*h {
		panic(fmt.Sprintf("tensor: GEGLU output %v for %v", res.Shape(), sh))
	}
	parallelRange(rows, max(1, (1<<14)/max(h, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			a := src[r*d2 : r*d2+h]
			g := src[r*d2+h : (r+1)*d2]
			d := dst[r*h : (r+1)*h]
			geluSlice(d, g)
			for i := range d {
				d[i] *= a[i]
			}
		}
	})
	return res
}
