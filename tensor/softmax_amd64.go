//go:build amd64

package tensor

import "golang.org/x/sys/cpu"

//go:noescape
func expSubAVX512(x *float32, n int, m float32, sums *[16]float32)

//go:noescape
func maxAVX512(x *float32, n int, out *[16]float32)

var useAVX512Exp = cpu.X86.HasAVX512F

// expSubSum replaces v[i] by exp(v[i]-max(v)) and returns their sum.
func expSubSum(v []float32) float32 {
	n := len(v)
	if n == 0 {
		return 0
	}
	var lanes [16]float32
	n16 := n &^ 15
	m := v[0]
	if useAVX512Exp && n16 > 0 {
		maxAVX512(&v[0], n16, &lanes)
		for _, x := range lanes {
			m = max(m, x)
		}
	}
	for _, x := range v[n16:] {
		m = max(m, x)
	}
	if !useAVX512Exp {
		return expSubSumGo(v, m)
	}
	var sum float32
	if n16 > 0 {
		expSubAVX512(&v[0], n16, m, &lanes)
		for _, x := range lanes {
			sum += x
		}
	}
	return sum + expSubSumGo(v[n16:], m)
}
