//go:build !amd64 || purego

package tensor

// The vector paths exist only on amd64.
var useAVX512Exp, useAVX2Exp = false, false

// expSubSum replaces v[i] by exp(v[i]-max(v)) and returns their sum.
func expSubSum(v []float32) float32 {
	if len(v) == 0 {
		return 0
	}
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return expSubSumGo(v, m)
}

// siluScaledSlice sets dst[i] = x/(1+exp(-s*x)) for x = src[i].
func siluScaledSlice(dst, src []float32, s float32) {
	for i, x := range src {
		dst[i] = x / (1 + expf(-s*x))
	}
}

// geluSlice sets dst[i] = gelu(src[i]) (erf form).
func geluSlice(dst, src []float32) {
	for i, x := range src {
		dst[i] = geluErf(x)
	}
}

// moments returns the sum of v and the sum of (v-c)², in float64.
func moments(v []float32, c float64) (sum, sq float64) { return momentsGo(v, c) }

// affine sets dst[i] = src[i]*s + b.
func affine(dst, src []float32, s, b float32) {
	for i, v := range src {
		dst[i] = v*s + b
	}
}

// expRows replaces each of the rows rows of s (stride lds, n entries
// each, n >= 1) by exp(x - max) and sets inv[r] to 1/sum.
func expRows(s []float32, lds, rows, n int, inv []float32) {
	for i := 0; i < rows; i++ {
		inv[i] = 1 / expSubSum(s[i*lds:i*lds+n])
	}
}

// scaleRows sets dst row r (stride ldd) to src row r (stride lds) times
// s[r], over n entries.
func scaleRows(dst []float32, ldd int, src []float32, lds, rows, n int, s []float32) {
	for i := 0; i < rows; i++ {
		affine(dst[i*ldd:i*ldd+n], src[i*lds:i*lds+n], s[i], 0)
	}
}

// normAffine sets dst[i] = (src[i]-m)*r*g[i] + b[i].
func normAffine(dst, src, g, b []float32, m, r float32) { normAffineGo(dst, src, g, b, m, r) }
