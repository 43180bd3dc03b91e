package tensor

import "fmt"

// attnScoreFloats bounds the score block of one query block, so memory
// stays independent of the number of heads and queries.
var attnScoreFloats = 1 << 19

// Attention is multi-head scaled dot-product attention:
// softmax(scale·Q·Kᵀ [+ causal mask])·V per head, with q [B,Lq,heads*D] and
// k, v [B,Lk,heads*D], returning [B,Lq,heads*D]. Queries are processed in
// blocks per head; only one block of scores per worker is ever held. With
// causal set, query i attends to keys 0..i (torch's is_causal).
func Attention(q, k, v *Dense, heads int, scale float32, causal bool) *Dense {
	qs := q.Shape()
	return AttentionInto(Scratch(qs...), q, k, v, heads, scale, causal)
}

// AttentionInto computes Attention into dst ([B,Lq,heads*D], not
// overlapping q, k or v) and returns dst.
func AttentionInto(dst, q, k, v *Dense, heads int, scale float32, causal bool) *Dense {
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if len(qs) != 3 || len(ks) != 3 || len(vs) != 3 || heads <= 0 || qs[2]%heads != 0 ||
		ks[0] != qs[0] || vs[0] != qs[0] || ks[2] != qs[2] || vs[2] != qs[2] || ks[1] != vs[1] {
		panic(fmt.Sprintf("tensor: attention q %v k %v v %v heads %d", qs, ks, vs, heads))
	}
	if dst.Shape()[0] != qs[0] || len(F32(dst)) != len(F32(q)) {
		panic(fmt.Sprintf("tensor: attention output %v for q %v", dst.Shape(), qs))
	}
	a := attnJob{
		b: qs[0], lq: qs[1], lk: ks[1], hd: qs[2], heads: heads, d: qs[2] / heads,
		scale: scale, causal: causal, Q: F32(q), K: F32(k), V: F32(v), O: F32(dst),
	}
	a.g, _ = DefaultGemm().(*blockedGemm)
	if a.lk == 0 {
		clear(a.O)
		return dst
	}
	// With few keys and few heads, packing K and V is cheap next to the
	// heads' work: tasks are query blocks running every head, so each
	// worker writes whole output rows (heads side by side in a row would
	// otherwise share cache lines between workers). With many heads
	// (SDXL's 20), a task per head packs K and V once.
	byBlocks := a.lk <= 256 && a.b*heads < 4*numWorkers()
	a.bq = a.queryBlock(byBlocks)
	nqb := (a.lq + a.bq - 1) / a.bq
	if byBlocks {
		parallelFor(a.b*nqb, func(t int) {
			for h := 0; h < heads; h++ {
				a.head(t/nqb, h, t%nqb, t%nqb+1)
			}
		})
		return dst
	}
	// Each task is one head (its K and V packed once) or, when the heads
	// do not split evenly over the workers, part of a head's query blocks
	// (K and V packed once per part): at least four tasks per worker
	// then, so five heads on two workers do not leave one idle for a
	// sixth of the time.
	nh := a.b * heads
	parts := 1
	if w := numWorkers(); nh%w != 0 {
		parts = min(nqb, (4*w+nh-1)/nh)
	}
	parallelFor(nh*parts, func(t int) {
		head, part := t/parts, t%parts
		a.head(head/heads, head%heads, part*nqb/parts, (part+1)*nqb/parts)
	})
	return dst
}

// queryBlock is the number of query rows per block: as many as fit the
// score budget, in whole row tiles of both kernels when possible, and when
// the blocks are the tasks at least four per worker (or a 1024-query
// cross-attention is one task).
func (a *attnJob) queryBlock(tasks bool) int {
	unit := 1
	if a.g != nil {
		unit = a.g.mr
		if tk, ok := a.g.directFor(a.d); ok {
			unit = lcm(a.g.mr, tk.mr)
		}
	}
	bq := min(a.lq, max(1, attnScoreFloats/a.lk), 1024)
	if tasks {
		bq = min(bq, max(unit, (a.b*a.lq+4*numWorkers()-1)/(4*numWorkers())/unit*unit))
	}
	switch {
	case bq >= unit && unit > 1:
		bq = bq / unit * unit
	case a.g != nil && bq > a.g.mr:
		bq = bq / a.g.mr * a.g.mr
	}
	return bq
}

type attnJob struct {
	b, lq, lk, hd, heads, d, bq int
	scale                       float32
	causal                      bool
	Q, K, V, O                  []float32
	g                           *blockedGemm
}

// head computes query blocks [qb0, qb1) of head h of batch bi.
func (a *attnJob) head(bi, h, qb0, qb1 int) {
	d, hd, lk := a.d, a.hd, a.lk
	koff := bi*lk*hd + h*d
	var kp, vp []float32
	tk, direct := tileKernel{}, false
	if a.g != nil {
		tk, direct = a.g.directFor(d)
		kbuf := getScratch(a.g.packedSize(lk, d))
		vbuf := getScratch(roundUp(d, max(a.g.nr, tk.nr)) * lk)
		defer putScratch(kbuf)
		defer putScratch(vbuf)
		kp, vp = *kbuf, *vbuf
		a.g.prepackB(kp, true, lk, d, a.K[koff:], hd)
		if direct {
			// The scale goes into the packed K, so Q can be read in place.
			ScaleInPlace(FromSlice(kp[:a.g.packedSize(lk, d)], a.g.packedSize(lk, d)), a.scale)
			// V packed for the chosen tile, one panel per K block.
			kc := pvKC(a.g, tk, lk)
			for pc := 0; pc < lk; pc += kc {
				kb := min(kc, lk-pc)
				packB(vp[roundUp(d, tk.nr)*pc:], false, a.V[koff:], hd, pc, 0, kb, d, tk.nr, 0, (d+tk.nr-1)/tk.nr)
			}
		} else {
			a.g.prepackB(vp, false, d, lk, a.V[koff:], hd)
		}
	}
	// Score rows get a stride that is not a multiple of 4 KiB, so the rows
	// an unpacked-A kernel reads together do not share a cache set.
	// It also covers whole column tiles.
	lds := roundUp(lk, 16) + 16
	// Whole tiles of rows too: the kernels write full mr-row tiles.
	rows := a.bq
	if a.g != nil {
		rows = roundUp(a.bq, a.g.mr)
	}
	sbuf := getScratch(rows * lds)
	defer putScratch(sbuf)
	var inv [1024]float32
	for qb := qb0; qb < qb1; qb++ {
		q0 := qb * a.bq
		m := min(a.bq, a.lq-q0)
		s := (*sbuf)[:m*lds]
		qoff := (bi*a.lq+q0)*hd + h*d
		if direct {
			a.scores(a.Q[qoff:], m, kp, s, lds)
		} else if a.g != nil {
			a.g.run(1, false, true, m, lk, d, a.scale, a.Q[qoff:], hd, nil, nil, 0, kp, nil, 0, s, lds)
		} else {
			sgemmSerial(false, true, m, lk, d, a.scale, a.Q[qoff:], hd, a.K[koff:], hd, 0, s, lds)
		}
		if a.causal {
			for i := 0; i < m; i++ {
				row := s[i*lds : i*lds+lk]
				lim := min(lk, q0+i+1)
				inv[i] = 1 / expSubSum(row[:lim])
				clear(row[lim:])
			}
		} else {
			expRows(s, lds, m, lk, inv[:m])
		}
		// Unnormalised probabilities times V, then each row scaled by
		// 1/sum: D multiplications per row instead of Lk.
		if direct {
			a.probsTimesV(tk, s, lds, m, vp, qoff, inv[:m])
			continue
		}
		if a.g != nil {
			a.g.run(1, false, false, m, d, lk, 1, s, lds, nil, nil, 0, vp, nil, 0, a.O[qoff:], hd)
		} else {
			sgemmSerial(false, false, m, d, lk, 1, s, lds, a.V[koff:], hd, 0, a.O[qoff:], hd)
		}
		for i := 0; i < m; i++ {
			o := a.O[qoff+i*hd : qoff+i*hd+d]
			for j := range o {
				o[j] *= inv[i]
			}
		}
	}
}

// probsTimesV computes O[rows] = diag(inv)·P·V for an m×lk block of
// probabilities p (row-major with stride lds, read in place by the
// unpacked-A kernel tk) and V packed for tk, through a tile-aligned scratch
// block.
func (a *attnJob) probsTimesV(tk tileKernel, p []float32, lds, m int, vp []float32, qoff int, inv []float32) {
	d, lk := a.d, a.lk
	mr, nr := tk.mr, tk.nr
	ndp := roundUp(d, nr)
	mp := roundUp(m, mr)
	obuf := getScratch(mp * ndp)
	defer putScratch(obuf)
	o := *obuf
	clear(o)
	kc := pvKC(a.g, tk, lk)
	full := m / mr * mr
	var abuf *[]float32
	if full < m {
		abuf = getScratch(mr * kc)
		defer putScratch(abuf)
	}
	for pc := 0; pc < lk; pc += kc {
		kb := min(kc, lk-pc)
		panel := vp[ndp*pc:]
		for ir := 0; ir < full; ir += mr {
			for sl := 0; sl < ndp/nr; sl++ {
				tk.kern(kb, &p[ir*lds+pc], lds, &panel[sl*nr*kb], &o[ir*ndp+sl*nr], ndp)
			}
		}
		if full < m {
			// Leftover rows, zero-padded to a whole tile.
			ap := (*abuf)[:mr*kb]
			clear(ap)
			for i := full; i < m; i++ {
				copy(ap[(i-full)*kb:(i-full+1)*kb], p[i*lds+pc:i*lds+pc+kb])
			}
			for sl := 0; sl < ndp/nr; sl++ {
				tk.kern(kb, &ap[0], kb, &panel[sl*nr*kb], &o[full*ndp+sl*nr], ndp)
			}
		}
	}
	scaleRows(a.O[qoff:], a.hd, o, ndp, m, d, inv)
}

// scores computes the m×lk block S = Q·(scale·K)ᵀ into s (row stride lds,
// at least lk rounded up to the tile width) with the unpacked-A kernel
// reading the query rows in place (stride hd) and K packed by prepackB and
// pre-scaled.
func (a *attnJob) scores(q []float32, m int, kp, s []float32, lds int) {
	g, d, lk, hd := a.g, a.d, a.lk, a.hd
	tk := g.direct[0] // the g.mr×g.nr tile kp was packed for
	mr, nr := tk.mr, tk.nr
	if tk.set == nil {
		clear(s[:m*lds])
	}
	kc := g.kcFor(d)
	full := m / mr * mr
	var abuf *[]float32
	if full < m {
		abuf = getScratch(mr * kc)
		defer putScratch(abuf)
	}
	for jc := 0; jc < lk; jc += g.nc {
		nb := min(g.nc, lk-jc)
		nsl := (nb + nr - 1) / nr
		for pc := 0; pc < d; pc += kc {
			kb := min(kc, d-pc)
			panel := kp[g.packedOffset(jc, pc, nb, d):]
			kern := tk.kern
			if pc == 0 && tk.set != nil {
				kern = tk.set // the first K block overwrites, so s needs no clearing
			}
			for ir := 0; ir < full; ir += mr {
				for sl := 0; sl < nsl; sl++ {
					kern(kb, &q[ir*hd+pc], hd, &panel[sl*nr*kb], &s[ir*lds+jc+sl*nr], lds)
				}
			}
			if full < m {
				ap := (*abuf)[:mr*kb]
				clear(ap)
				for i := full; i < m; i++ {
					copy(ap[(i-full)*kb:(i-full+1)*kb], q[i*hd+pc:i*hd+pc+kb])
				}
				for sl := 0; sl < nsl; sl++ {
					kern(kb, &ap[0], kb, &panel[sl*nr*kb], &s[full*lds+jc+sl*nr], lds)
				}
			}
		}
	}
}

// pvKC is the K block of the probabilities·V product: small enough that a
// packed sliver of V (kc×nr) stays well inside L1 next to the P rows.
func pvKC(g *blockedGemm, tk tileKernel, lk int) int {
	kc := max(16, min(g.kc, 6144/tk.nr))
	if lk > kc {
		nk := (lk + kc - 1) / kc
		kc = (lk + nk - 1) / nk
	}
	return kc
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}
