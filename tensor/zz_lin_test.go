package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkZZLinear(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{4096, 320, 320}, {4096, 320, 2560}, {4096, 1280, 320}, {1024, 640, 640}, {256, 1280, 1280}, {77, 1024, 1024}, {77, 1024, 4096}, {77, 4096, 1024}} {
		m, k, n := s[0], s[1], s[2]
		x := FromSlice(randSlice(r, m*k), m, k)
		w := FromSlice(randSlice(r, n*k), n, k)
		bias := FromSlice(randSlice(r, n), n)
		out := New(m, n)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			LinearInto(out, x, w, bias)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				LinearInto(out, x, w, bias)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
