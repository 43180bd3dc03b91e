package schedulers

import "math"

// npLog32 is NumPy's float32 natural logarithm as its x86-64 SIMD kernels
// compute it (the reference's np.log on float32 arrays): the mantissa is
// normalised to [sqrt(1/2), sqrt(2)), log(1+y) is a degree-5 rational
// approximation evaluated with fused multiply-adds, and e*ln2 is added with
// one more fused multiply-add. It differs from the correctly rounded log in
// the last bit for some inputs, which shifts interpolated timesteps.
func npLog32(x float32) float32 {
	switch {
	case math.IsNaN(float64(x)):
		return x
	case x < 0:
		return float32(math.NaN())
	case x == 0:
		return float32(math.Inf(-1))
	case math.IsInf(float64(x), 1):
		return x
	}
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23) - 126)
	m := math.Float32frombits(bits&0x007fffff | 0x3f000000)
	if m <= npSqrtHalf {
		m = m + m
		e = e - 1
	}
	y := m - 1
	num := fma32(npLogP[5], y, npLogP[4])
	num = fma32(num, y, npLogP[3])
	num = fma32(num, y, npLogP[2])
	num = fma32(num, y, npLogP[1])
	num = fma32(num, y, npLogP[0])
	den := fma32(npLogQ[5], y, npLogQ[4])
	den = fma32(den, y, npLogQ[3])
	den = fma32(den, y, npLogQ[2])
	den = fma32(den, y, npLogQ[1])
	den = fma32(den, y, npLogQ[0])
	return fma32(e, npLn2, num/den)
}

var (
	npSqrtHalf = math.Float32frombits(0x3f3504f3)
	npLn2      = math.Float32frombits(0x3f317218)
	npLogP     = [6]float32{
		0, 1,
		math.Float32frombits(0x4007361c), math.Float32frombits(0x3fbd70a9),
		math.Float32frombits(0x3ec30333), math.Float32frombits(0x3cd42bcd),
	}
	npLogQ = [6]float32{
		1,
		math.Float32frombits(0x4027361c), math.Float32frombits(0x401cfe0d),
		math.Float32frombits(0x3f7c8ae4), math.Float32frombits(0x3e1e5bf3),
		math.Float32frombits(0x3bc083df),
	}
)
