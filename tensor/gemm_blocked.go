package tensor

import (
	"sync"
	"unsafe"
)

// microKernel computes C[mr×nr] += Apanel·Bpanel for one register tile.
// a points at kc groups of mr packed values of A (alpha already applied),
// b at kc groups of nr packed values of B, c at the tile's top-left element
// of a row-major matrix with leading dimension ldc (in elements).
type microKernel func(kc int, a, b, c *float32, ldc int)

// blockedGemm is a Goto-style GEMM: B is packed in kc×nc panels, A in mc×kc
// blocks, and a register-tile micro-kernel sweeps the packed blocks. Work is
// split over goroutines by blocks of rows of C (and columns when there are
// too few rows).
type blockedGemm struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	kern       microKernel
}

func (g *blockedGemm) Name() string { return g.name }

// Sgemm implements Gemm, using every core.
func (g *blockedGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	threads := numWorkers()
	if 2*m*n*k < 1<<18 {
		threads = 1
	}
	g.run(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSerial is Sgemm on the calling goroutine only; used by operations
// that parallelise at a coarser level (attention over heads).
func (g *blockedGemm) sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	g.run(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// serialSgemmer is implemented by GEMMs that can run single-threaded.
type serialSgemmer interface {
	sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// sgemmSerial runs the default GEMM without spawning goroutines when the
// implementation allows it.
func sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := DefaultGemm()
	if s, ok := g.(serialSgemmer); ok {
		s.sgemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

var f32Pool sync.Pool

// getScratch returns a scratch slice of length n from a pool.
func getScratch(n int) *[]float32 {
	if v, ok := f32Pool.Get().(*[]float32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	} else if ok {
		f32Pool.Put(v)
	}
	s := make([]float32, n, n+16)
	return &s
}

func putScratch(p *[]float32) { f32Pool.Put(p) }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

func (g *blockedGemm) run(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	mr, nr := g.mr, g.nr
	mc, kc, nc := g.mc, g.kc, g.nc
	if threads > 1 {
		if per := roundUp((m+threads-1)/threads, mr); per < mc {
			mc = per
		}
	}
	// Balance kc so the last K block is not tiny.
	if k > kc {
		nk := (k + kc - 1) / kc
		kc = (k + nk - 1) / nk
	}
	bsz := roundUp(min(n, nc), nr) * min(k, kc)
	bbuf := getScratch(bsz)
	defer putScratch(bbuf)
	bp := *bbuf
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		nsl := (nb + nr - 1) / nr
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			if threads > 1 && nsl > 1 && kb*nb > 1<<14 {
				parallelRange(nsl, 1, func(lo, hi int) {
					packB(bp, transB, b, ldb, pc, jc, kb, nb, nr, lo, hi)
				})
			} else {
				packB(bp, transB, b, ldb, pc, jc, kb, nb, nr, 0, nsl)
			}
			nib := (m + mc - 1) / mc
			njp := 1
			if threads > 1 && nib < threads {
				njp = min(threads, nsl)
			}
			task := func(t int) {
				ib, jp := t/njp, t%njp
				ic := ib * mc
				mb := min(mc, m-ic)
				s0, s1 := jp*nsl/njp, (jp+1)*nsl/njp
				abuf := getScratch(roundUp(mb, mr) * kb)
				ap := *abuf
				packA(ap, transA, a, lda, ic, pc, mb, kb, mr, alpha)
				g.macro(mb, nb, kb, ap, bp, c[ic*ldc+jc:], ldc, s0, s1)
				putScratch(abuf)
			}
			if nt := nib * njp; threads > 1 && nt > 1 {
				parallelFor(nt, task)
			} else {
				task(0)
				for t := 1; t < nt; t++ {
					task(t)
				}
			}
		}
	}
}

// macro runs the micro-kernel over B slivers [s0,s1) and every row tile of
// a packed mb×kb block of A.
func (g *blockedGemm) macro(mb, nb, kb int, ap, bp, c []float32, ldc int, s0, s1 int) {
	mr, nr := g.mr, g.nr
	var tmp [32 * 32]float32
	for s := s0; s < s1; s++ {
		j := s * nr
		nn := min(nr, nb-j)
		bptr := &bp[s*nr*kb]
		for ir := 0; ir < mb; ir += mr {
			mm := min(mr, mb-ir)
			aptr := &ap[ir*kb]
			if mm == mr && nn == nr {
				g.kern(kb, aptr, bptr, &c[ir*ldc+j], ldc)
				continue
			}
			t := tmp[:mr*nr]
			clear(t)
			g.kern(kb, aptr, bptr, &t[0], nr)
			for i := 0; i < mm; i++ {
				row := c[(ir+i)*ldc+j : (ir+i)*ldc+j+nn]
				tr := t[i*nr : i*nr+nn]
				for jj := range row {
					row[jj] += tr[jj]
				}
			}
		}
	}
}

// packA packs rows [ic,ic+mb) and columns [pc,pc+kb) of op(A), scaled by
// alpha, into mr-row slivers laid out column by column; rows past mb are
// zero.
func packA(ap []float32, transA bool, a []float32, lda, ic, pc, mb, kb, mr int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		mm := min(mr, mb-ir)
		dst := ap[ir*kb : ir*kb+mr*kb]
		if transA {
			for p := 0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+ir : (pc+p)*lda+ic+ir+mm]
				d := dst[p*mr : p*mr+mr]
				for i, v := range src {
					d[i] = alpha * v
				}
				clear(d[mm:])
			}
			continue
		}
		for i := 0; i < mm; i++ {
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kb]
			for p, v := range src {
				dst[p*mr+i] = alpha * v
			}
		}
		for i := mm; i < mr; i++ {
			for p := 0; p < kb; p++ {
				dst[p*mr+i] = 0
			}
		}
	}
}

// packB packs slivers [s0,s1) (nr columns each) of rows [pc,pc+kb) and
// columns [jc,jc+nb) of op(B) row by row; columns past nb are zero.
func packB(bp []float32, transB bool, b []float32, ldb, pc, jc, kb, nb, nr, s0, s1 int) {
	for s := s0; s < s1; s++ {
		j := s * nr
		nn := min(nr, nb-j)
		dst := bp[s*nr*kb : (s+1)*nr*kb]
		if !transB {
			for p := 0; p < kb; p++ {
				off := (pc+p)*ldb + jc + j
				d := dst[p*nr : p*nr+nr]
				copy(d, b[off:off+nn])
				clear(d[nn:])
			}
			continue
		}
		for jj := 0; jj < nn; jj++ {
			off := (jc+j+jj)*ldb + pc
			src := b[off : off+kb]
			for p, v := range src {
				dst[p*nr+jj] = v
			}
		}
		for jj := nn; jj < nr; jj++ {
			for p := 0; p < kb; p++ {
				dst[p*nr+jj] = 0
			}
		}
	}
}

// goKernel4x4 is the portable micro-kernel: a 4×4 register tile.
func goKernel4x4(kc int, ap, bp, cp *float32, ldc int) {
	a := unsafe.Slice(ap, 4*kc)
	b := unsafe.Slice(bp, 4*kc)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < kc; p++ {
		av := a[p*4 : p*4+4 : p*4+4]
		bv := b[p*4 : p*4+4 : p*4+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	c := unsafe.Slice(cp, 3*ldc+4)
	r := c[0:4:4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = c[ldc : ldc+4 : ldc+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
	r = c[2*ldc : 2*ldc+4 : 2*ldc+4]
	r[0] += c20
	r[1] += c21
	r[2] += c22
	r[3] += c23
	r = c[3*ldc : 3*ldc+4 : 3*ldc+4]
	r[0] += c30
	r[1] += c31
	r[2] += c32
	r[3] += c33
}

func init() {
	registerGemm(&blockedGemm{name: "go", mr: 4, nr: 4, mc: 128, kc: 256, nc: 2048, kern: goKernel4x4}, 0)
}
