//go:build openblas && cgo

package tensor

import "github.com/goautopipe/diffusers/tensor/internal/openblas"

// openblasGemm calls OpenBLAS's cblas_sgemm. It exists only in builds
// with the openblas tag, as a yardstick for the native kernels.
type openblasGemm struct{}

func (openblasGemm) Name() string { return "openblas" }

func (openblasGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if beta == 0 {
		// Make sure NaNs in C never survive a beta of zero.
		scaleC(m, n, 0, c, ldc)
	}
	openblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() { registerGemm(openblasGemm{}, 5) }
