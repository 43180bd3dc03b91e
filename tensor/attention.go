package tensor

import "fmt"

// attnScoreFloats bounds the score block of one query block, so memory
// stays independent of the number of heads and queries.
var attnScoreFloats = 1 << 18

// Attention is multi-head scaled dot-product attention:
// softmax(scale·Q·Kᵀ [+ causal mask])·V per head, with q [B,Lq,heads*D] and
// k, v [B,Lk,heads*D], returning [B,Lq,heads*D]. Queries are processed in
// blocks per head; only one block of scores per worker is ever held. With
// causal set, query i attends to keys 0..i (torch's is_causal).
func Attention(q, k, v *Dense, heads int, scale float32, causal bool) *Dense {
	qs := q.Shape()
	return AttentionInto(New(qs...), q, k, v, heads, scale, causal)
}

// AttentionInto computes Attention into dst ([B,Lq,heads*D]).
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
	mr := 1
	if a.g != nil {
		mr = a.g.mr
	}
	// Query block: as many rows as fit the score budget, whole micro-kernel
	// row tiles when possible.
	bq := min(a.lq, max(1, attnScoreFloats/a.lk), 1024)
	if bq > mr {
		bq = bq / mr * mr
	}
	a.bq = bq
	nqb := (a.lq + bq - 1) / bq
	// Each task is one head (its K and V packed once) or, when there are
	// fewer heads than workers, part of a head's query blocks.
	nh := a.b * heads
	parts := 1
	if w := numWorkers(); nh < w {
		parts = min(nqb, (w+nh-1)/nh)
	}
	parallelFor(nh*parts, func(t int) {
		head, part := t/parts, t%parts
		a.head(head/heads, head%heads, part*nqb/parts, (part+1)*nqb/parts)
	})
	return dst
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
	if a.g != nil {
		kbuf := getScratch(a.g.packedSize(lk, d))
		vbuf := getScratch(a.g.packedSize(d, lk))
		defer putScratch(kbuf)
		defer putScratch(vbuf)
		kp, vp = *kbuf, *vbuf
		a.g.prepackB(kp, true, lk, d, a.K[koff:], hd)
		a.g.prepackB(vp, false, d, lk, a.V[koff:], hd)
	}
	sbuf := getScratch(a.bq * lk)
	defer putScratch(sbuf)
	var inv [1024]float32
	for qb := qb0; qb < qb1; qb++ {
		q0 := qb * a.bq
		m := min(a.bq, a.lq-q0)
		s := (*sbuf)[:m*lk]
		qoff := (bi*a.lq+q0)*hd + h*d
		if a.g != nil {
			a.g.run(1, false, true, m, lk, d, a.scale, a.Q[qoff:], hd, nil, 0, kp, nil, 0, s, lk)
		} else {
			sgemmSerial(false, true, m, lk, d, a.scale, a.Q[qoff:], hd, a.K[koff:], hd, 0, s, lk)
		}
		for i := 0; i < m; i++ {
			row := s[i*lk : (i+1)*lk]
			if a.causal {
				lim := min(lk, q0+i+1)
				inv[i] = 1 / expSubSum(row[:lim])
				clear(row[lim:])
			} else {
				inv[i] = 1 / expSubSum(row)
			}
		}
		// Unnormalised probabilities times V, then each row scaled by
		// 1/sum: D multiplications per row instead of Lk.
		if a.g != nil {
			a.g.run(1, false, false, m, d, lk, 1, s, lk, nil, 0, vp, nil, 0, a.O[qoff:], hd)
		} else {
			sgemmSerial(false, false, m, d, lk, 1, s, lk, a.V[koff:], hd, 0, a.O[qoff:], hd)
		}
		for i := 0; i < m; i++ {
			o := a.O[qoff+i*hd : qoff+i*hd+d]
			for j := range o {
				o[j] *= inv[i]
			}
		}
	}
}
