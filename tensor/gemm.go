package tensor

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/goautopipe/diffusers/internal/panics"
)

// Gemm is a single-precision general matrix multiply:
//
//	C = alpha*op(A)*op(B) + beta*C
//
// with op(A) of shape m×k and op(B) of shape k×n, all matrices row-major.
// When transA is false A is stored m×k with leading dimension lda >= k,
// otherwise A is stored k×m with lda >= m; likewise for B (k×n or n×k).
// C is m×n with ldc >= n. When beta is zero C is not read (NaNs in C are
// overwritten).
type Gemm interface {
	Name() string
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

var (
	gemmMu    sync.RWMutex
	gemmImpls []Gemm
	gemmPrio  []int
	gemmBest  Gemm
	bestPrio  = -1
)

// registerGemm adds an implementation; the one with the highest priority
// becomes the default. The list stays sorted by priority.
func registerGemm(g Gemm, prio int) {
	gemmMu.Lock()
	defer gemmMu.Unlock()
	i := len(gemmImpls)
	for i > 0 && gemmPrio[i-1] > prio {
		i--
	}
	gemmImpls = append(gemmImpls[:i], append([]Gemm{g}, gemmImpls[i:]...)...)
	gemmPrio = append(gemmPrio[:i], append([]int{prio}, gemmPrio[i:]...)...)
	if prio > bestPrio {
		gemmBest, bestPrio = g, prio
	}
}

// GemmImplementations lists every GEMM implementation usable on this
// machine, the portable one first and the default last.
func GemmImplementations() []Gemm {
	gemmMu.RLock()
	defer gemmMu.RUnlock()
	return append([]Gemm(nil), gemmImpls...)
}

// GemmByName returns the implementation with the given name, or nil.
func GemmByName(name string) Gemm {
	for _, g := range GemmImplementations() {
		if g.Name() == name {
			return g
		}
	}
	return nil
}

// DefaultGemm returns the implementation used by Sgemm and every operation
// of this package.
func DefaultGemm() Gemm {
	gemmMu.RLock()
	defer gemmMu.RUnlock()
	return gemmBest
}

// SetDefaultGemm makes g the implementation used by Sgemm and returns the
// previous one. It is meant for benchmarks and tests.
func SetDefaultGemm(g Gemm) Gemm {
	gemmMu.Lock()
	defer gemmMu.Unlock()
	old := gemmBest
	gemmBest = g
	return old
}

// Sgemm runs the default (fastest available) GEMM implementation.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	DefaultGemm().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkGemm validates the arguments of a GEMM call; it panics on
// inconsistent sizes, which are programming errors.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor: sgemm negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(what string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols || (rows-1)*ld+cols > have {
			panic(fmt.Sprintf("tensor: sgemm %s %dx%d with ld %d needs more than %d elements", what, rows, cols, ld, have))
		}
	}
	need("A", ar, ac, lda, len(a))
	need("B", br, bc, ldb, len(b))
	need("C", m, n, ldc, len(c))
}

// scaleC applies C = beta*C over the m×n block.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// numWorkers is the parallelism used by the compute kernels.
func numWorkers() int {
	return runtime.GOMAXPROCS(0)
}

// parallelFor runs f(i) for i in [0,n) over up to numWorkers goroutines,
// handing out indices dynamically.
func parallelFor(n int, f func(i int)) {
	w := numWorkers()
	if w > n {
		w = n
	}
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	var relay panics.Relay // a panic in f reaches the caller, not the runtime
	defer relay.Raise()
	wg.Add(w)
	for g := 0; g < w; g++ {
		go func() {
			defer wg.Done()
			defer relay.Catch()
			panics.OnFault() // a fault reading mapped weights reaches the caller as a panic
			for {
				mu.Lock()
				i := int(next)
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// parallelRange splits [0,n) into contiguous chunks of at least minChunk
// elements, one per worker, and runs f(lo, hi) on each.
func parallelRange(n, minChunk int, f func(lo, hi int)) {
	w := numWorkers()
	if minChunk < 1 {
		minChunk = 1
	}
	if maxW := (n + minChunk - 1) / minChunk; w > maxW {
		w = maxW
	}
	if w <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	var relay panics.Relay // a panic in f reaches the caller, not the runtime
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			defer relay.Catch()
			panics.OnFault()
			f(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
	relay.Raise()
}
