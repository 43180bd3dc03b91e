package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// linearPacked is Linear through the packed product, as LinearInto computes
// it for many rows.
func linearPacked(x, w, b *Dense) []float32 {
	ws := w.Shape()
	out, in := ws[0], ws[1]
	rows := len(F32(x)) / in
	c := make([]float32, rows*out)
	beta := float32(0)
	if b != nil {
		for r := 0; r < rows; r++ {
			copy(c[r*out:(r+1)*out], F32(b))
		}
		beta = 1
	}
	wt, release := weightF32(w)
	defer release()
	Sgemm(false, true, rows, out, in, 1, F32(x), in, wt, in, beta, c, out)
	return c
}

// A linear layer over few rows reads the weight in place and gives the
// same bits as the packed product, and float16 weights widened as they are
// packed the same bits as widened first: one and several K blocks, rows and
// outputs that are not whole tiles, bias or not, float16 weights.
func TestLinearDirectMatchesPacked(t *testing.T) {
	g, ok := DefaultGemm().(*blockedGemm)
	if !ok || len(g.direct) == 0 {
		t.Skipf("the default GEMM %s has no unpacked-A kernel", DefaultGemm().Name())
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ rows, in, out int }{
		{1, 64, 7}, {5, 300, 100}, {77, 1024, 64}, {154, 40, 1281}, {linearDirectRows, 600, 96}, {linearDirectRows + 1, 33, 50}, {300, 600, 37},
	} {
		x := FromSlice(randSlice(r, tc.rows*tc.in), tc.rows, tc.in)
		w := FromSlice(randSlice(r, tc.out*tc.in), tc.out, tc.in)
		b := FromSlice(randSlice(r, tc.out), tc.out)
		name := fmt.Sprintf("%d rows %d→%d", tc.rows, tc.in, tc.out)
		require.Equal(t, linearPacked(x, w, b), F32(Linear(x, w, b)), "%s with bias", name)
		require.Equal(t, linearPacked(x, w, nil), F32(Linear(x, w, nil)), "%s without bias", name)
		hw := make([]uint16, len(F32(w)))
		for i, v := range F32(w) {
			hw[i] = halfOf(v)
		}
		h := NewHalf(hw, tc.out, tc.in)
		require.Equal(t, linearPacked(x, h, b), F32(Linear(x, h, b)), "%s float16 weights", name)
	}
}

// BenchmarkLinearFewRows compares Linear (the weight read in place up to
// linearDirectRows rows) with the packed product, on the text encoders'
// and the UNet's small levels' shapes.
func BenchmarkLinearFewRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ rows, in, out int }{
		{77, 1024, 1024}, {77, 1024, 4096}, {77, 4096, 1024}, {154, 1024, 1024}, {64, 1280, 1280}, {256, 1280, 1280}, {512, 640, 640},
	} {
		x := FromSlice(randSlice(r, s.rows*s.in), s.rows, s.in)
		w := FromSlice(randSlice(r, s.out*s.in), s.out, s.in)
		bias := FromSlice(randSlice(r, s.out), s.out)
		out := New(s.rows, s.out)
		flops := 2 * float64(s.rows*s.in*s.out)
		b.Run(fmt.Sprintf("%dx%d_%d/packed", s.rows, s.in, s.out), func(b *testing.B) {
			for b.Loop() {
				linearPacked(x, w, bias)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%dx%d_%d/linear", s.rows, s.in, s.out), func(b *testing.B) {
			for b.Loop() {
				LinearInto(out, x, w, bias)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
