//go:build !amd64

package tensor

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
