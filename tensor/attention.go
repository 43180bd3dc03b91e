package tensor

import "fmt"

// attnScoreFloats bounds the score block of one (batch, head, query block)
// task, so memory stays independent of the number of heads and queries.
var attnScoreFloats = 1 << 17

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
	b, lq, hd := qs[0], qs[1], qs[2]
	lk := ks[1]
	d := hd / heads
	bq := max(1, min(lq, 512, attnScoreFloats/max(lk, 1)))
	nqb := (lq + bq - 1) / bq
	Q, K, V, O := F32(q), F32(k), F32(v), F32(dst)
	parallelFor(b*heads*nqb, func(t int) {
		bi := t / (heads * nqb)
		h := (t / nqb) % heads
		q0 := (t % nqb) * bq
		m := min(bq, lq-q0)
		nk := lk
		if causal {
			nk = min(lk, q0+m)
		}
		sbuf := getScratch(m * nk)
		s := *sbuf
		qoff := (bi*lq+q0)*hd + h*d
		koff := bi*lk*hd + h*d
		sgemmSerial(false, true, m, nk, d, scale, Q[qoff:], hd, K[koff:], hd, 0, s, nk)
		for i := 0; i < m; i++ {
			row := s[i*nk : (i+1)*nk]
			if causal {
				lim := min(nk, q0+i+1)
				softmaxRow(row[:lim])
				clear(row[lim:])
			} else {
				softmaxRow(row)
			}
		}
		sgemmSerial(false, false, m, d, nk, 1, s, nk, V[koff:], hd, 0, O[qoff:], hd)
		putScratch(sbuf)
	})
	return dst
}
