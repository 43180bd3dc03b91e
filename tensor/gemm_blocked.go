package tensor

import (
	"math/bits"
	"unsafe"
)

// microKernel computes C[mr×nr] += Apanel·Bpanel for one register tile.
// a points at kc groups of mr packed values of A (alpha already applied),
// b at kc groups of nr packed values of B, c at the tile's top-left element
// of a row-major matrix with leading dimension ldc (in elements).
type microKernel func(kc int, a, b, c *float32, ldc int)

// directKernel is a microKernel reading A unpacked: row i of the tile
// starts at a+i*lda (alpha is 1).
type directKernel func(kc int, a *float32, lda int, b, c *float32, ldc int)

// blockedGemm is a Goto-style GEMM: B is packed in kc×nc panels, A in mc×kc
// blocks, and a register-tile micro-kernel sweeps the packed blocks. Work is
// split over goroutines by blocks of rows of C (and columns when there are
// too few rows).
type blockedGemm struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	kern       microKernel
	direct     []tileKernel // optional unpacked-A kernels, the first of size mr×nr
	// pairs marks a bfloat16 kernel: both operands are packed as bfloat16
	// pairs along K (see pairUp), kern's kc counts pairs, and the driver
	// rounds float32 operands to bfloat16 while packing.
	pairs bool
}

// depth is the number of packed slots holding kb values along K: kb, or
// (kb+1)/2 pairs for a bfloat16 kernel.
func (g *blockedGemm) depth(kb int) int {
	if g.pairs {
		return (kb + 1) / 2
	}
	return kb
}

// tileKernel is an unpacked-A micro-kernel and its tile.
type tileKernel struct {
	mr, nr int
	kern   directKernel
	set    directKernel // optional: the same tile overwriting C
}

// directFor picks the unpacked-A kernel wasting the fewest columns on a
// product n wide, or returns false when there is none.
func (g *blockedGemm) directFor(n int) (tileKernel, bool) {
	var best tileKernel
	ok := false
	for _, t := range g.direct {
		if !ok {
			best, ok = t, true
			continue
		}
		w, bw := roundUp(n, t.nr), roundUp(n, best.nr)
		if w < bw || w == bw && t.mr*t.nr > best.mr*best.nr {
			best = t
		}
	}
	return best, ok
}

func (g *blockedGemm) Name() string { return g.name }

// Sgemm implements Gemm, using every core.
func (g *blockedGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	threads := numWorkers()
	if 2*m*n*k < 1<<18 {
		threads = 1
	}
	g.run(threads, transA, transB, m, n, k, alpha, a, lda, nil, b, ldb, nil, nil, beta, c, ldc)
}

// sgemmSerial is Sgemm on the calling goroutine only; used by operations
// that parallelise at a coarser level (attention over heads).
func (g *blockedGemm) sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	g.run(1, transA, transB, m, n, k, alpha, a, lda, nil, b, ldb, nil, nil, beta, c, ldc)
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

// getScratch returns a scratch slice of length n (contents undefined)
// from the buffer pool, its capacity rounded up to a power of two so that
// nearby lengths share buffers; give it back with putScratch.
func getScratch(n int) *[]float32 {
	b, _ := scratch.get(1 << bits.Len(uint(max(n, 1)-1)))
	*b = (*b)[:n]
	return b
}

func putScratch(p *[]float32) { scratch.put(p) }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// kcFor returns the K block size for a product of depth k: at most g.kc,
// balanced so the last block is not tiny.
func (g *blockedGemm) kcFor(k int) int {
	kc := g.kc
	if k > kc {
		nk := (k + kc - 1) / kc
		kc = (k + nk - 1) / nk
		if g.pairs {
			kc = roundUp(kc, 2) // every block but the last holds whole pairs
		}
	}
	return kc
}

// packedSize is the length of a fully packed op(B) of k×n.
func (g *blockedGemm) packedSize(n, k int) int { return roundUp(n, g.nr) * g.depth(k) }

// prepackB packs all of op(B) (k×n) into dst (packedSize long) in the
// order run consumes it, so several products can share one packing.
func (g *blockedGemm) prepackB(dst []float32, transB bool, n, k int, b []float32, ldb int) {
	kc := g.kcFor(k)
	for jc := 0; jc < n; jc += g.nc {
		nb := min(g.nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			g.packB(dst[g.packedOffset(jc, pc, nb, k):], nil, transB, b, ldb, pc, jc, kb, nb, 0, (nb+g.nr-1)/g.nr)
		}
	}
}

// prepackA packs all of alpha·op(A) (m×k) into dst (roundUp(m, mr)·depth(k)
// long): for each K block of kcFor(k) columns, every mr-row sliver in turn,
// so run can take any row block of it without packing.
func (g *blockedGemm) prepackA(dst []float32, transA bool, m, k int, alpha float32, a []float32, lda int) {
	kc := g.kcFor(k)
	mp := roundUp(m, g.mr)
	slivers := mp / g.mr
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		blk := dst[g.depth(pc)*mp:]
		if mp*kb < 1<<16 { // a small block: not worth the goroutines
			g.packA(blk, transA, a, lda, 0, pc, m, kb, alpha)
			continue
		}
		// Whole slivers per worker: the weights of a large layer are
		// packed at memory speed on every core.
		chunks := min(slivers, 4*numWorkers())
		parallelFor(chunks, func(ci int) {
			r0, r1 := ci*slivers/chunks*g.mr, min((ci+1)*slivers/chunks*g.mr, m)
			if r0 < r1 {
				g.packA(blk[r0*g.depth(kb):], transA, a, lda, r0, pc, r1-r0, kb, alpha)
			}
		})
	}
}

// packedOffset locates the panel of block (jc, pc) in a prepacked B.
func (g *blockedGemm) packedOffset(jc, pc, nb, k int) int {
	return jc/g.nc*roundUp(g.nc, g.nr)*g.depth(k) + roundUp(nb, g.nr)*g.depth(pc)
}

// bPacker packs slivers [s0,s1) of the kb×nb block at (pc, jc) of an
// implicit op(B) into dst, in packB's layout.
type bPacker func(dst []float32, pc, jc, kb, nb, s0, s1 int)

// run computes the product on up to threads goroutines. When preA is not
// nil it holds alpha·op(A) already packed by prepackA and a is ignored.
// When pre is not nil it holds op(B) already packed by prepackB; otherwise
// when pk is not nil it produces the packed blocks of op(B); in both cases
// b is ignored.
func (g *blockedGemm) run(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, preA []float32, b []float32, ldb int, pre []float32, pk bPacker, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	mr, nr := g.mr, g.nr
	kc, nc := g.kc, g.nc
	// Row blocks: whole mr slivers, about mc rows each, their count a
	// multiple of the worker count so the work splits evenly.
	nsA := (m + mr - 1) / mr
	nib := (nsA*mr + g.mc - 1) / g.mc
	if threads > 1 {
		nib = roundUp(nib, threads)
	}
	nib = min(nib, nsA)
	// Few rows and many columns (convolutions): give each worker whole
	// column ranges as independent products, with no barrier between
	// K blocks; only the small A block is packed more than once.
	if nslAll := (n + nr - 1) / nr; threads > 1 && pre == nil && nsA*mr <= 2*g.mc && nslAll >= 8*threads {
		chunks := 4 * threads
		if preA == nil {
			// Pack A once for all column ranges.
			abuf := getScratch(roundUp(m, mr) * g.depth(k))
			defer putScratch(abuf)
			g.prepackA(*abuf, transA, m, k, alpha, a, lda)
			preA = *abuf
		}
		parallelFor(chunks, func(ci int) {
			j0 := ci * nslAll / chunks * nr
			j1 := min((ci+1)*nslAll/chunks*nr, n)
			sub, subPk := b, pk
			switch {
			case pk != nil:
				subPk = func(dst []float32, pc, jc, kb, nb, s0, s1 int) { pk(dst, pc, jc+j0, kb, nb, s0, s1) }
			case transB:
				sub = b[j0*ldb:]
			default:
				sub = b[j0:]
			}
			g.run(1, transA, transB, m, j1-j0, k, alpha, a, lda, preA, sub, ldb, nil, subPk, 1, c[j0:], ldc)
		})
		return
	}
	kc = g.kcFor(k)
	// Few rows (or A already packed): narrow the column panel so the block
	// of C that every K block updates (m×nc) stays in L2 (512 KiB).
	if pre == nil && (preA != nil || nsA*mr <= 2*g.mc) {
		nc = min(nc, max(4*nr, (1<<17)/max(m, 1)/nr*nr))
	}
	if threads > 1 && pre == nil && nib >= 2*threads && g.depth(k)*roundUp(min(n, nc), nr) <= lazyBFloats {
		g.runLazyB(transA, transB, m, n, k, alpha, a, lda, preA, b, ldb, pk, c, ldc, nib)
		return
	}
	var bp []float32
	if pre == nil {
		bbuf := getScratch(roundUp(min(n, nc), nr) * g.depth(min(k, kc)))
		defer putScratch(bbuf)
		bp = *bbuf
	}
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		nsl := (nb + nr - 1) / nr
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			if pre != nil {
				bp = pre[g.packedOffset(jc, pc, nb, k):]
			} else if threads > 1 && nsl > 1 && kb*nb > 1<<14 {
				parallelRange(nsl, 1, func(lo, hi int) {
					g.packB(bp, pk, transB, b, ldb, pc, jc, kb, nb, lo, hi)
				})
			} else {
				g.packB(bp, pk, transB, b, ldb, pc, jc, kb, nb, 0, nsl)
			}
			// With few row blocks, also split the columns so there are a
			// few tasks per worker to balance (repacking the small A block
			// per task is cheap next to the product).
			njp := 1
			if threads > 1 && nib < 4*threads {
				njp = max(1, min(nsl, (4*threads+nib-1)/nib))
			}
			task := func(t int) {
				ib, jp := t/njp, t%njp
				ic := ib * nsA / nib * mr
				mb := min((ib+1)*nsA/nib*mr, m) - ic
				s0, s1 := jp*nsl/njp, (jp+1)*nsl/njp
				if preA != nil {
					ap := preA[g.depth(pc)*roundUp(m, mr)+ic*g.depth(kb):]
					g.macro(mb, nb, kb, ap, bp, c[ic*ldc+jc:], ldc, s0, s1)
					return
				}
				abuf := getScratch(roundUp(mb, mr) * g.depth(kb))
				ap := *abuf
				g.packA(ap, transA, a, lda, ic, pc, mb, kb, alpha)
				g.macro(mb, nb, kb, ap, bp, c[ic*ldc+jc:], ldc, s0, s1)
				putScratch(abuf)
			}
			if nt := nib * njp; threads > 1 && nt > 1 {
				parallelFor(nt, task)
			} else {
				for t := 0; t < nt; t++ {
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
	kd := g.depth(kb)
	var tmp []float32 // edge tile, allocated on first use
	for s := s0; s < s1; s++ {
		j := s * nr
		nn := min(nr, nb-j)
		bptr := &bp[s*nr*kd]
		for ir := 0; ir < mb; ir += mr {
			mm := min(mr, mb-ir)
			aptr := &ap[ir*kd]
			if mm == mr && nn == nr {
				g.kern(kd, aptr, bptr, &c[ir*ldc+j], ldc)
				continue
			}
			if tmp == nil {
				tb := getScratch(mr * nr)
				defer putScratch(tb)
				tmp = *tb
			}
			t := tmp[:mr*nr]
			clear(t)
			g.kern(kd, aptr, bptr, &t[0], nr)
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
		if mm == 14 && mr == 14 {
			off := (ic+ir)*lda + pc
			pack14(dst, a[off:], lda, kb, alpha)
			continue
		}
		if mm == 6 && mr == 6 {
			off := (ic+ir)*lda + pc
			pack6(dst, a[off:], lda, kb, alpha)
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

// pack14 interleaves 14 rows of a (leading dimension lda, kb columns each)
// into dst, scaled by alpha: dst[p*14+i] = alpha*a[i*lda+p].
func pack14(dst, a []float32, lda, kb int, alpha float32) {
	r0, r1, r2, r3 := a[0:kb], a[lda:lda+kb], a[2*lda:2*lda+kb], a[3*lda:3*lda+kb]
	r4, r5, r6, r7 := a[4*lda:4*lda+kb], a[5*lda:5*lda+kb], a[6*lda:6*lda+kb], a[7*lda:7*lda+kb]
	r8, r9, r10 := a[8*lda:8*lda+kb], a[9*lda:9*lda+kb], a[10*lda:10*lda+kb]
	r11, r12, r13 := a[11*lda:11*lda+kb], a[12*lda:12*lda+kb], a[13*lda:13*lda+kb]
	dst = dst[:14*kb]
	for p := 0; p < kb; p++ {
		d := dst[p*14 : p*14+14 : p*14+14]
		d[0], d[1], d[2], d[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
		d[4], d[5], d[6], d[7] = alpha*r4[p], alpha*r5[p], alpha*r6[p], alpha*r7[p]
		d[8], d[9], d[10] = alpha*r8[p], alpha*r9[p], alpha*r10[p]
		d[11], d[12], d[13] = alpha*r11[p], alpha*r12[p], alpha*r13[p]
	}
}

// pack6 is pack14 for 6 rows (the AVX2 kernel's).
func pack6(dst, a []float32, lda, kb int, alpha float32) {
	r0, r1, r2 := a[0:kb], a[lda:lda+kb], a[2*lda:2*lda+kb]
	r3, r4, r5 := a[3*lda:3*lda+kb], a[4*lda:4*lda+kb], a[5*lda:5*lda+kb]
	dst = dst[:6*kb]
	for p := 0; p < kb; p++ {
		d := dst[p*6 : p*6+6 : p*6+6]
		d[0], d[1], d[2] = alpha*r0[p], alpha*r1[p], alpha*r2[p]
		d[3], d[4], d[5] = alpha*r3[p], alpha*r4[p], alpha*r5[p]
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
		packTransB(dst, b, ldb, (jc+j)*ldb+pc, kb, nn, nr)
		for jj := nn; jj < nr; jj++ {
			for p := 0; p < kb; p++ {
				dst[p*nr+jj] = 0
			}
		}
	}
}

// packTransB packs nn columns of a transposed B (rows of b, ldb apart,
// starting at off, kb values each) into dst, nr values a row: four rows of
// b at a time, so every write fills four adjacent values.
func packTransB(dst, b []float32, ldb, off, kb, nn, nr int) {
	jj := 0
	for ; jj+4 <= nn; jj += 4 {
		o := off + jj*ldb
		r0, r1 := b[o:o+kb], b[o+ldb:o+ldb+kb]
		r2, r3 := b[o+2*ldb:o+2*ldb+kb], b[o+3*ldb:o+3*ldb+kb]
		for p := range r0 {
			d := dst[p*nr+jj : p*nr+jj+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; jj < nn; jj++ {
		src := b[off+jj*ldb : off+jj*ldb+kb]
		for p, v := range src {
			dst[p*nr+jj] = v
		}
	}
}

// goKernel4x4 is the portable micro-kernel: a 4×4 register tile.
func goKernel4x4(kc int, ap, bp, cp *float32, ldc int) {
	a := unsafe.Slice(ap, 4*kc)
	b := unsafe.Slice(bp, 4*kc)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for len(a) >= 4 && len(b) >= 4 {
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a, b = a[4:], b[4:]
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
