//go:build openblas && cgo

// A cgo package cannot hold Go assembly, so this binding lives apart from
// package tensor.

package openblas

/*
#cgo LDFLAGS: -lopenblas
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
	float alpha, const float *a, int lda, const float *b, int ldb,
	float beta, float *c, int ldc);
*/
import "C"

// Sgemm calls cblas_sgemm in row-major order. Sizes must be positive and
// the slices large enough (the caller checks).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	const rowMajor, noTrans, trans = 101, 111, 112
	ta, tb := C.int(noTrans), C.int(noTrans)
	if transA {
		ta = trans
	}
	if transB {
		tb = trans
	}
	C.cblas_sgemm(rowMajor, ta, tb, C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}
