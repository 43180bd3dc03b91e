package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func benchGemm(b *testing.B, g Gemm, m, n, k int, transB bool) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randSlice(r, m*k)
	bb := randSlice(r, k*n)
	c := make([]float32, m*n)
	ldb := n
	if transB {
		ldb = k
	}
	b.SetBytes(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Sgemm(false, transB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm(b *testing.B) {
	for _, sz := range [][3]int{{1024, 1024, 1024}, {4096, 4096, 4096}} {
		for _, g := range GemmImplementations() {
			if g.Name() == "go" && sz[0] > 1024 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", g.Name(), sz[0], sz[1], sz[2]), func(b *testing.B) {
				benchGemm(b, g, sz[0], sz[1], sz[2], false)
			})
		}
	}
}
