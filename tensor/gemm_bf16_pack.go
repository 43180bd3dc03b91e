package tensor

import "math"

// Packers reading bfloat16 weights straight from their storage: for a
// float32 driver they widen while packing (so no float32 copy of the
// weight exists), for a bfloat16 driver the widened values are paired
// again, exactly, by blockedGemm.packB / prepackABF16.

// widenSliverA writes rows [i0,i0+mm) and columns [pc,pc+kb) of a
// bfloat16 matrix w (leading dimension ldw) as one mr-row sliver in the
// float32 layout [p][mr]; rows past mm are zero.
func widenSliverA(dst []float32, w []uint16, ldw, i0, mm, pc, kb, mr int) {
	for i := 0; i < mm; i++ {
		off := (i0+i)*ldw + pc
		for p, h := range w[off : off+kb] {
			dst[p*mr+i] = math.Float32frombits(uint32(h) << 16)
		}
	}
	for i := mm; i < mr; i++ {
		for p := 0; p < kb; p++ {
			dst[p*mr+i] = 0
		}
	}
}

// prepackABF16 is prepackA (alpha 1, not transposed) for a bfloat16
// matrix w of m×k with leading dimension ldw: dst must hold
// roundUp(m, mr)·depth(k) slots.
func (g *blockedGemm) prepackABF16(dst []float32, m, k int, w []uint16, ldw int) {
	mr, kc := g.mr, g.kcFor(k)
	mp := roundUp(m, mr)
	nsl := mp / mr
	nkb := (k + kc - 1) / kc
	parallelRange(nsl*nkb, 16, func(lo, hi int) {
		var tmp []float32
		if g.pairs {
			tb := getScratch(mr * kc)
			defer putScratch(tb)
			tmp = *tb
		}
		for t := lo; t < hi; t++ {
			pc, ir := t/nsl*kc, t%nsl*mr
			kb := min(kc, k-pc)
			out := dst[g.depth(pc)*mp+ir*g.depth(kb) : g.depth(pc)*mp+(ir+mr)*g.depth(kb)]
			if !g.pairs {
				widenSliverA(out, w, ldw, ir, min(mr, m-ir), pc, kb, mr)
				continue
			}
			widenSliverA(tmp, w, ldw, ir, min(mr, m-ir), pc, kb, mr)
			pairUp(asU32(out), tmp, kb, mr)
		}
	})
}

// bf16TransB returns a bPacker for op(B) = Wᵀ where W [n, k] holds
// bfloat16 bits with leading dimension ldw (a Linear weight).
func bf16TransB(w []uint16, ldw, nr int) bPacker { return widenTransB(w, ldw, nr, BF16ToFloat32) }

// halfTransB is bf16TransB for float16 bits.
func halfTransB(w []uint16, ldw, nr int) bPacker { return widenTransB(w, ldw, nr, halfConverter()) }

// widenTransB returns a bPacker for op(B) = Wᵀ where W [n, k] holds 16-bit
// values that widen converts: each sliver's rows are widened into an
// L1-sized buffer and interleaved from there, so no float32 copy of the
// whole weight is written and read back.
func widenTransB(w []uint16, ldw, nr int, widen func([]float32, []uint16)) bPacker {
	return func(dst []float32, pc, jc, kb, nb, s0, s1 int) {
		tb := getScratch(nr * kb)
		defer putScratch(tb)
		tmp := *tb
		for s := s0; s < s1; s++ {
			j := s * nr
			nn := min(nr, nb-j)
			for jj := 0; jj < nn; jj++ {
				off := (jc+j+jj)*ldw + pc
				widen(tmp[jj*kb:(jj+1)*kb], w[off:off+kb])
			}
			d := dst[s*nr*kb : (s+1)*nr*kb]
			packTransB(d, tmp, kb, 0, kb, nn, nr)
			for jj := nn; jj < nr; jj++ {
				for p := 0; p < kb; p++ {
					d[p*nr+jj] = 0
				}
			}
		}
	}
}
