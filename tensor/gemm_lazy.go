package tensor

import (
	"runtime"
	"sync/atomic"
)

// lazyBFloats bounds the packed B held at once by runLazyB (16 MiB).
const lazyBFloats = 1 << 22

// runLazyB is run's parallel path for products whose whole packed B (all K
// blocks of one column panel) fits in lazyBFloats. Each task owns a block
// of rows of C and walks every K block itself, so there is no barrier
// between K blocks; B slivers are packed on first use by whichever task
// gets there first; the others go on with their next slivers and come back
// to that one last (within a K block slivers are independent columns of C).
// Each element of C
// still accumulates its K blocks in order, so results do not depend on
// scheduling. C has already been scaled by beta.
func (g *blockedGemm) runLazyB(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, preA, b []float32, ldb int, pk bPacker, c []float32, ldc int, nib int) {
	mr, nr, nc := g.mr, g.nr, g.nc
	kc := g.kcFor(k)
	nkb := (k + kc - 1) / kc
	nsA := (m + mr - 1) / mr
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		nsl := (nb + nr - 1) / nr
		wide := roundUp(nb, nr)
		bbuf := getScratch(wide * g.depth(k))
		full := *bbuf
		// 0: not packed, 1: being packed, 2: ready.
		state := make([]atomic.Int32, nkb*nsl)
		parallelFor(nib, func(ib int) {
			ic := ib * nsA / nib * mr
			mb := min((ib+1)*nsA/nib*mr, m) - ic
			var abuf *[]float32
			if preA == nil {
				abuf = getScratch(roundUp(mb, mr) * g.depth(kc))
				defer putScratch(abuf)
			}
			pending := make([]int, 0, nsl)
			for pc, kbi := 0, 0; pc < k; pc, kbi = pc+kc, kbi+1 {
				kb := min(kc, k-pc)
				bp := full[wide*g.depth(pc):]
				var ap []float32
				if preA != nil {
					ap = preA[g.depth(pc)*roundUp(m, mr)+ic*g.depth(kb):]
				} else {
					ap = *abuf
					g.packA(ap, transA, a, lda, ic, pc, mb, kb, alpha)
				}
				// Slivers another task is packing are done last: within a
				// K block the slivers are independent columns of C.
				pending = pending[:0]
				for s := 0; s < nsl; s++ {
					st := &state[kbi*nsl+s]
					if st.Load() != 2 {
						if !st.CompareAndSwap(0, 1) {
							pending = append(pending, s)
							continue
						}
						g.packB(bp, pk, transB, b, ldb, pc, jc, kb, nb, s, s+1)
						st.Store(2)
					}
					g.macro(mb, nb, kb, ap, bp, c[ic*ldc+jc:], ldc, s, s+1)
				}
				for _, s := range pending {
					for st := &state[kbi*nsl+s]; st.Load() != 2; {
						runtime.Gosched()
					}
					g.macro(mb, nb, kb, ap, bp, c[ic*ldc+jc:], ldc, s, s+1)
				}
			}
		})
		putScratch(bbuf)
	}
}
