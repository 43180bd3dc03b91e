package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumGemm is gonum's sgemm, the floor in the benchmarks.
type gonumGemm struct{ impl gonum.Implementation }

func (gonumGemm) Name() string { return "gonum" }

func (g gonumGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	g.impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func benchGemm(b *testing.B, g Gemm, m, n, k int, transB bool) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randSlice(r, m*k)
	bb := randSlice(r, k*n)
	c := make([]float32, m*n)
	ldb := n
	if transB {
		ldb = k
	}
	// OpenBLAS's workers busy-wait after a call; let them sleep first.
	time.Sleep(300 * time.Millisecond)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Sgemm(false, transB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm(b *testing.B) {
	for _, sz := range [][3]int{{1024, 1024, 1024}, {4096, 4096, 4096}} {
		for _, g := range append(GemmImplementations(), Gemm(gonumGemm{})) {
			if (g.Name() == "go" || g.Name() == "gonum") && sz[0] > 1024 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", g.Name(), sz[0], sz[1], sz[2]), func(b *testing.B) {
				benchGemm(b, g, sz[0], sz[1], sz[2], false)
			})
		}
	}
}

func BenchmarkAttention(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	// SD 1.x's 8 heads of 40 and SD 2.x's 5 heads of 64 at 64×64, and
	// SDXL's 20 heads of 64 at 16×16 (512×512 images).
	for _, hd := range []struct{ heads, d, lq int }{{8, 40, 4096}, {5, 64, 4096}, {20, 64, 256}} {
		heads, d, lq := hd.heads, hd.d, hd.lq
		q := FromSlice(randSlice(r, lq*heads*d), 1, lq, heads*d)
		for _, lk := range []int{lq, 77} {
			k := FromSlice(randSlice(r, lk*heads*d), 1, lk, heads*d)
			v := FromSlice(randSlice(r, lk*heads*d), 1, lk, heads*d)
			out := New(1, lq, heads*d)
			b.Run(fmt.Sprintf("heads=%dx%d/self=%v", heads, d, lk == lq), func(b *testing.B) {
				AttentionInto(out, q, k, v, heads, 0.158, false)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					AttentionInto(out, q, k, v, heads, 0.158, false)
				}
				b.ReportMetric(4*float64(heads*lq*lk*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkConv2D(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := FromSlice(randSlice(r, 2*320*64*64), 2, 320, 64, 64)
	w := FromSlice(randSlice(r, 320*320*9), 320, 320, 3, 3)
	bias := FromSlice(randSlice(r, 320), 320)
	out := New(2, 320, 64, 64)
	Conv2DInto(out, x, w, bias, 1, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Conv2DInto(out, x, w, bias, 1, 1)
	}
	b.ReportMetric(2*2*320*64*64*320*9*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// UNet-sized elementwise and normalisation operations at 64×64 latents.
func BenchmarkUNetOps(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := FromSlice(randSlice(r, 2*320*64*64), 2, 320, 64, 64)
	gamma := FromSlice(randSlice(r, 320), 320)
	beta := FromSlice(randSlice(r, 320), 320)
	tok := FromSlice(randSlice(r, 2*4096*320), 2, 4096, 320)
	w := FromSlice(randSlice(r, 2560*320), 2560, 320)
	wb := FromSlice(randSlice(r, 2560), 2560)
	ff := New(2, 4096, 2560)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"GroupNorm32", func() { GroupNorm(x, 32, gamma, beta, 1e-5) }},
		{"SiLU", func() { SiLU(x) }},
		{"LayerNorm", func() { LayerNorm(tok, gamma, beta, 1e-5) }},
		{"LinearInto320x2560", func() { LinearInto(ff, tok, w, wb) }},
		{"GEGLU2560", func() { GEGLU(ff) }},
		{"AddBroadcast", func() { Add(x, Reshape(gamma, 1, 320, 1, 1)) }},
		{"UpsampleNearest2x", func() { UpsampleNearest2x(x) }},
		{"Permute0231", func() { Permute(x, 0, 2, 3, 1) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.f()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.f()
			}
		})
	}
}

// conv3x3Shapes are the 3×3 convolutions of TAESD's decoder (64 channels),
// of the KL autoencoders and of the SD UNet's four levels (o 0: as many
// outputs as inputs).
var conv3x3Shapes = []struct{ c, o, hw int }{
	{64, 0, 512}, {64, 0, 256}, {128, 0, 256}, {256, 0, 128}, {512, 0, 64},
	{320, 0, 64}, {960, 320, 64}, {640, 0, 32}, {1920, 640, 32}, {1280, 0, 16}, {2560, 1280, 16}, {1280, 0, 8},
}

// BenchmarkConv3x3 compares the direct (implicit GEMM) 3×3 convolution with
// the Winograd path as chosen (winograd) and with F(2×2, 3×3) only
// (winograd2), on conv3x3Shapes; GFLOP/s counts the direct product's
// multiply-adds for all.
func BenchmarkConv3x3(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range conv3x3Shapes {
		if s.o == 0 {
			s.o = s.c
		}
		x := FromSlice(randSlice(r, s.c*s.hw*s.hw), 1, s.c, s.hw, s.hw)
		w := FromSlice(randSlice(r, s.o*s.c*9), s.o, s.c, 3, 3)
		bias := FromSlice(randSlice(r, s.o), s.o)
		out := New(1, s.o, s.hw, s.hw)
		for _, mode := range []string{"direct", "winograd", "winograd2"} {
			b.Run(fmt.Sprintf("c%d_o%d_%dx%d/%s", s.c, s.o, s.hw, s.hw, mode), func(b *testing.B) {
				defer SetWinograd(SetWinograd(mode != "direct"))
				defer useWinograd4.Store(useWinograd4.Load())
				useWinograd4.Store(mode == "winograd")
				for b.Loop() {
					Conv2DInto(out, x, w, bias, 1, 1)
				}
				b.ReportMetric(2*float64(s.c*s.o*9*s.hw*s.hw)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
