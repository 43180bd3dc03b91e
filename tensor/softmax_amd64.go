//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

//go:noescape
func expSubAVX512(x *float32, n int, m float32, sums *[16]float32)

//go:noescape
func maxAVX512(x *float32, n int, out *[16]float32)

//go:noescape
func expSubAVX2(x *float32, n int, m float32, sums *[8]float32)

//go:noescape
func maxAVX2(x *float32, n int, out *[8]float32)

//go:noescape
func siluAVX2(dst, src *float32, n int, s float32)

//go:noescape
func geluAVX2(dst, src *float32, n int)

// Vector paths of the elementwise kernels: AVX-512 when available, else
// AVX2+FMA, else scalar Go.
var (
	useAVX512Exp = cpu.X86.HasAVX512F
	useAVX2Exp   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// expSubSumAVX2 is expSubSum on eight lanes.
func expSubSumAVX2(v []float32) float32 {
	n8 := len(v) &^ 7
	m := v[0]
	var lanes [8]float32
	if n8 > 0 {
		maxAVX2(&v[0], n8, &lanes)
		for _, x := range lanes {
			m = max(m, x)
		}
	}
	for _, x := range v[n8:] {
		m = max(m, x)
	}
	var sum float32
	if n8 > 0 {
		expSubAVX2(&v[0], n8, m, &lanes)
		for _, x := range lanes {
			sum += x
		}
	}
	return sum + expSubSumGo(v[n8:], m)
}

// expSubSum replaces v[i] by exp(v[i]-max(v)) and returns their sum.
func expSubSum(v []float32) float32 {
	n := len(v)
	if n == 0 {
		return 0
	}
	if !useAVX512Exp && useAVX2Exp {
		return expSubSumAVX2(v)
	}
	if !useAVX512Exp {
		m := v[0]
		for _, x := range v {
			m = max(m, x)
		}
		return expSubSumGo(v, m)
	}
	var lanes [16]float32
	m := v[0]
	if n >= 16 {
		maxAVX512(&v[0], n, &lanes)
		for _, x := range lanes {
			m = max(m, x)
		}
	} else {
		for _, x := range v {
			m = max(m, x)
		}
	}
	expSubAVX512(&v[0], n, m, &lanes)
	var sum float32
	for _, x := range lanes {
		sum += x
	}
	return sum
}

//go:noescape
func siluAVX512(dst, src *float32, n int, s float32)

//go:noescape
func geluAVX512(dst, src *float32, n int)

// siluScaledSlice sets dst[i] = x/(1+exp(-s*x)) for x = src[i].
func siluScaledSlice(dst, src []float32, s float32) {
	n16 := len(src) &^ 15
	switch {
	case useAVX512Exp && n16 > 0:
		siluAVX512(&dst[0], &src[0], n16, s)
	case useAVX2Exp && len(src) >= 8:
		n16 = len(src) &^ 7
		siluAVX2(&dst[0], &src[0], n16, s)
	default:
		n16 = 0
	}
	for i, x := range src[n16:] {
		dst[n16+i] = x / (1 + expf(-s*x))
	}
}

// geluSlice sets dst[i] = gelu(src[i]) (erf form).
func geluSlice(dst, src []float32) {
	n16 := len(src) &^ 15
	switch {
	case useAVX512Exp && n16 > 0:
		geluAVX512(&dst[0], &src[0], n16)
	case useAVX2Exp && len(src) >= 8:
		n16 = len(src) &^ 7
		geluAVX2(&dst[0], &src[0], n16)
	default:
		n16 = 0
	}
	for i, x := range src[n16:] {
		dst[n16+i] = geluErf(x)
	}
}

//go:noescape
func momentsAVX512(x *float32, n int, c float64, out *[16]float64)

//go:noescape
func affineAVX512(dst, src *float32, n int, s, b float32)

// moments returns the sum of v and the sum of (v-c)², in float64.
func moments(v []float32, c float64) (sum, sq float64) {
	n16 := len(v) &^ 15
	if useAVX512Exp && n16 > 0 {
		var lanes [16]float64
		momentsAVX512(&v[0], n16, c, &lanes)
		for i := 0; i < 8; i++ {
			sum += lanes[i]
			sq += lanes[8+i]
		}
	} else {
		n16 = 0
	}
	s, q := momentsGo(v[n16:], c)
	return sum + s, sq + q
}

// affine sets dst[i] = src[i]*s + b.
func affine(dst, src []float32, s, b float32) {
	n16 := len(src) &^ 15
	if useAVX512Exp && n16 > 0 {
		affineAVX512(&dst[0], &src[0], n16, s, b)
	} else {
		n16 = 0
	}
	for i, v := range src[n16:] {
		dst[n16+i] = v*s + b
	}
}

//go:noescape
func softmaxRowsAVX512(s *float32, lds, rows, n int, inv *float32)

//go:noescape
func scaleRowsAVX512(dst *float32, ldd int, src *float32, lds, rows, n int, s *float32)

// expRows replaces each of the rows rows of s (stride lds, n entries
// each, n >= 1) by exp(x - max) and sets inv[r] to 1/sum.
func expRows(s []float32, lds, rows, n int, inv []float32) {
	if useAVX512Exp && rows > 0 {
		_ = s[(rows-1)*lds+n-1]
		_ = inv[rows-1]
		softmaxRowsAVX512(&s[0], lds, rows, n, &inv[0])
		return
	}
	for i := 0; i < rows; i++ {
		inv[i] = 1 / expSubSum(s[i*lds:i*lds+n])
	}
}

// scaleRows sets dst row r (stride ldd) to src row r (stride lds) times
// s[r], over n entries.
func scaleRows(dst []float32, ldd int, src []float32, lds, rows, n int, s []float32) {
	if useAVX512Exp && rows > 0 && n > 0 {
		_ = dst[(rows-1)*ldd+n-1]
		_ = src[(rows-1)*lds+n-1]
		_ = s[rows-1]
		scaleRowsAVX512(&dst[0], ldd, &src[0], lds, rows, n, &s[0])
		return
	}
	for i := 0; i < rows; i++ {
		affine(dst[i*ldd:i*ldd+n], src[i*lds:i*lds+n], s[i], 0)
	}
}

//go:noescape
func normAffineAVX512(dst, src, gam, bet *float32, n int, m, r float32)

// normAffine sets dst[i] = (src[i]-m)*r*g[i] + b[i], as torch's layer norm
// rounds it: subtract, scale, multiply, add.
func normAffine(dst, src, g, b []float32, m, r float32) {
	n := len(src)
	if useAVX512Exp && n > 0 {
		_, _, _ = dst[n-1], g[n-1], b[n-1]
		normAffineAVX512(&dst[0], &src[0], &g[0], &b[0], n, m, r)
		return
	}
	normAffineGo(dst, src, g, b, m, r)
}
