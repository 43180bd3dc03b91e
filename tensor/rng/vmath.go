package rng

import "math"

// The single-precision log and sincos below are the Cephes polynomial
// approximations in the form PyTorch evaluates them in its vectorised normal
// sampler. Every multiply whose only use is an add or subtract is fused
// (fma32), as the C++ compiler contracts them in that build; the remaining
// operations round to float32 one by one.

// fma32 returns a*b+c rounded once to float32.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact: 48 significant bits at most
	cc := float64(c)
	s := p + cc
	// Rounding s to float32 can only differ from rounding the exact sum when s
	// sits exactly on a float32 midpoint; the TwoSum error term breaks the tie.
	r := float32(s)
	if float64(r) != s {
		lo, hi := bracket32(s)
		if s-float64(lo) == float64(hi)-s {
			bb := s - p
			err := (p - (s - bb)) + (cc - bb)
			if err > 0 {
				return hi
			} else if err < 0 {
				return lo
			}
		}
	}
	return r
}

// bracket32 returns the float32 neighbours below and above s.
func bracket32(s float64) (lo, hi float32) {
	r := float32(s)
	if float64(r) < s {
		return r, math.Nextafter32(r, float32(math.Inf(1)))
	}
	return math.Nextafter32(r, float32(math.Inf(-1))), r
}

const (
	logP0    float32 = 7.0376836292e-2
	logP1    float32 = -1.1514610310e-1
	logP2    float32 = 1.1676998740e-1
	logP3    float32 = -1.2420140846e-1
	logP4    float32 = 1.4249322787e-1
	logP5    float32 = -1.6668057665e-1
	logP6    float32 = 2.0000714765e-1
	logP7    float32 = -2.4999993993e-1
	logP8    float32 = 3.3333331174e-1
	logQ1    float32 = -2.12194440e-4
	logQ2    float32 = 0.693359375
	sqrtHalf float32 = 0.707106781186547524
)

// logf approximates the natural logarithm of a positive normal float32.
func logf(x float32) float32 {
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23)-0x7f) + 1
	x = math.Float32frombits(bits&^0x7f800000 | 0x3f000000) // mantissa in [0.5, 1)
	var tmp float32
	if x < sqrtHalf {
		tmp = x
		e -= 1
	}
	x = x - 1
	x = x + tmp
	z := x * x
	y := fma32(logP0, x, logP1)
	y = fma32(y, x, logP2)
	y = fma32(y, x, logP3)
	y = fma32(y, x, logP4)
	y = fma32(y, x, logP5)
	y = fma32(y, x, logP6)
	y = fma32(y, x, logP7)
	y = fma32(y, x, logP8)
	y = y * x
	y = fma32(y, z, e*logQ1)
	y = fma32(-z, 0.5, y)
	x = x + y
	return fma32(e, logQ2, x)
}

const (
	fourOverPi float32 = 1.27323954473516
	negDP1     float32 = -0.78515625
	negDP2     float32 = -2.4187564849853515625e-4
	negDP3     float32 = -3.77489497744594108e-8
	cosP0      float32 = 2.443315711809948e-5
	cosP1      float32 = -1.388731625493765e-3
	cosP2      float32 = 4.166664568298827e-2
	sinP0      float32 = -1.9515295891e-4
	sinP1      float32 = 8.3321608736e-3
	sinP2      float32 = -1.6666654611e-1
)

// sincosf approximates sin(x) and cos(x) for moderate |x|.
func sincosf(x float32) (sin, cos float32) {
	negSin := x < 0
	if negSin {
		x = -x
	}
	j := int32(x * fourOverPi) // truncation, as cvttps
	j = (j + 1) &^ 1
	y := float32(j)
	if j&4 != 0 {
		negSin = !negSin
	}
	negCos := (^(j - 2))&4 != 0
	useSinPoly := j&2 == 0

	x = fma32(y, negDP1, x)
	x = fma32(y, negDP2, x)
	x = fma32(y, negDP3, x)
	z := x * x

	c := fma32(cosP0, z, cosP1)
	c = fma32(c, z, cosP2)
	c = c * z
	c = fma32(c, z, -(z * 0.5))
	c = c + 1

	s := fma32(sinP0, z, sinP1)
	s = fma32(s, z, sinP2)
	s = s * z
	s = fma32(s, x, x)

	if useSinPoly {
		sin, cos = s, c
	} else {
		sin, cos = c, s
	}
	if negSin {
		sin = -sin
	}
	if negCos {
		cos = -cos
	}
	return sin, cos
}
