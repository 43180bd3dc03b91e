package tensor

// Packing for the driver in both layouts. A float32 kernel takes op(A) in
// mr-row slivers [p][mr] and op(B) in nr-column slivers [p][nr]; a
// bfloat16 kernel (blockedGemm.pairs) takes the same slivers with two
// consecutive K rows rounded to bfloat16 and interleaved into one 32-bit
// slot ([q][mr] and [q][nr] of pairs, see pairUp), the operand layout of
// VDPBF16PS. Pairs are made from the float32 layout of one sliver at a
// time, so every float32 packer (plain, transposed, convolution patches)
// serves both.

// packA packs rows [ic,ic+mb) and columns [pc,pc+kb) of alpha·op(A) into
// ap in g's layout (depth(kb) slots per row of a sliver).
func (g *blockedGemm) packA(ap []float32, transA bool, a []float32, lda, ic, pc, mb, kb int, alpha float32) {
	if !g.pairs {
		packA(ap, transA, a, lda, ic, pc, mb, kb, g.mr, alpha)
		return
	}
	mr, kd := g.mr, g.depth(kb)
	tb := getScratch(mr * kb)
	defer putScratch(tb)
	tmp := *tb
	for ir := 0; ir < mb; ir += mr {
		packA(tmp, transA, a, lda, ic+ir, pc, min(mr, mb-ir), kb, mr, alpha)
		pairUp(asU32(ap[ir*kd:(ir+mr)*kd]), tmp, kb, mr)
	}
}

// packB packs slivers [s0,s1) of rows [pc,pc+kb) and columns [jc,jc+nb)
// of op(B) into bp in g's layout (depth(kb) slots per column of a sliver).
// With pk not nil, pk produces op(B) (in the float32 layout) and b is
// ignored.
func (g *blockedGemm) packB(bp []float32, pk bPacker, transB bool, b []float32, ldb, pc, jc, kb, nb, s0, s1 int) {
	nr := g.nr
	if !g.pairs {
		if pk != nil {
			pk(bp, pc, jc, kb, nb, s0, s1)
		} else {
			packB(bp, transB, b, ldb, pc, jc, kb, nb, nr, s0, s1)
		}
		return
	}
	kd := g.depth(kb)
	tb := getScratch(nr * kb)
	defer putScratch(tb)
	tmp := *tb
	for s := s0; s < s1; s++ {
		// One sliver as the first of a block starting at its column.
		j := s * nr
		if pk != nil {
			pk(tmp, pc, jc+j, kb, nb-j, 0, 1)
		} else {
			packB(tmp, transB, b, ldb, pc, jc+j, kb, nb-j, nr, 0, 1)
		}
		pairUp(asU32(bp[s*nr*kd:(s+1)*nr*kd]), tmp, kb, nr)
	}
}
