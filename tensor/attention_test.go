package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// naiveAttention is a float64 reference for Attention.
func naiveAttention(q, k, v *Dense, heads int, scale float64, causal bool) *Dense {
	qs, ks := q.Shape(), k.Shape()
	b, lq, hd, lk := qs[0], qs[1], qs[2], ks[1]
	d := hd / heads
	Q, K, V := F32(q), F32(k), F32(v)
	res := New(b, lq, hd)
	O := F32(res)
	s := make([]float64, lk)
	for bi := 0; bi < b; bi++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < lq; i++ {
				m := math.Inf(-1)
				n := lk
				if causal {
					n = min(lk, i+1)
				}
				for j := 0; j < n; j++ {
					var dot float64
					for c := 0; c < d; c++ {
						dot += float64(Q[(bi*lq+i)*hd+h*d+c]) * float64(K[(bi*lk+j)*hd+h*d+c])
					}
					s[j] = dot * scale
					m = math.Max(m, s[j])
				}
				var sum float64
				for j := 0; j < n; j++ {
					s[j] = math.Exp(s[j] - m)
					sum += s[j]
				}
				for c := 0; c < d; c++ {
					var acc float64
					for j := 0; j < n; j++ {
						acc += s[j] * float64(V[(bi*lk+j)*hd+h*d+c])
					}
					O[(bi*lq+i)*hd+h*d+c] = float32(acc / sum)
				}
			}
		}
	}
	return res
}

// TestAttentionShapes covers odd sizes (one key, one channel per head,
// more queries than keys, tiny score budgets) on every implementation.
func TestAttentionShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	old := attnScoreFloats
	defer func() { attnScoreFloats = old }()
	defer SetDefaultGemm(SetDefaultGemm(DefaultGemm()))
	for _, c := range []struct {
		b, lq, lk, heads, d int
		causal              bool
		budget              int
	}{
		{1, 1, 1, 1, 1, false, 1 << 18}, {3, 5, 1, 2, 3, false, 1 << 18}, {2, 33, 70, 3, 40, false, 70 * 15},
		{1, 17, 17, 2, 64, true, 17 * 3}, {2, 29, 100, 1, 48, false, 100}, {1, 80, 80, 4, 8, true, 1 << 18},
		{1, 20, 4100, 1, 8, false, 1 << 18}, {1, 30, 300, 1, 520, false, 1 << 18},
	} {
		q := FromSlice(randSlice(r, c.b*c.lq*c.heads*c.d), c.b, c.lq, c.heads*c.d)
		k := FromSlice(randSlice(r, c.b*c.lk*c.heads*c.d), c.b, c.lk, c.heads*c.d)
		v := FromSlice(randSlice(r, c.b*c.lk*c.heads*c.d), c.b, c.lk, c.heads*c.d)
		scale := 1 / math.Sqrt(float64(c.d))
		want := naiveAttention(q, k, v, c.heads, scale, c.causal)
		attnScoreFloats = c.budget
		for _, g := range GemmImplementations() {
			SetDefaultGemm(g)
			got := Attention(q, k, v, c.heads, float32(scale), c.causal)
			err, mag := maxErr(got, want)
			assert.LessOrEqual(t, err, 1e-5*math.Max(1, mag), "%s %+v: max err", g.Name(), c)
		}
	}
}
