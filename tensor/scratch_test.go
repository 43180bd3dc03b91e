package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// withPool runs f with the buffer pool emptied and limited to limit bytes,
// restoring the default afterwards.
func withPool(t *testing.T, limit int64, f func()) {
	t.Helper()
	SetScratchLimit(0)
	SetScratchLimit(limit)
	defer SetScratchLimit(DefaultScratchLimit)
	f()
}

func nanTensor(shape ...int) *Dense {
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = float32(math.NaN())
	}
	return FromSlice(d, shape...)
}

func TestScratchReusesRecycledBuffers(t *testing.T) {
	withPool(t, 1<<20, func() {
		a := Scratch(64, 64)
		pa := &F32(a)[0]
		Recycle(a, nil)
		b := Scratch(4096) // same length, another shape
		require.Same(t, pa, &F32(b)[0], "a recycled buffer of the same length is handed out again")
		require.Equal(t, []int{4096}, Shape(b))
		c := Scratch(4096)
		require.NotSame(t, pa, &F32(c)[0], "a buffer in use is not handed out twice")

		Recycle(nanTensor(32, 32))
		z := New(1024)
		for i, v := range F32(z) {
			require.Zerof(t, v, "New clears a recycled buffer (element %d)", i)
		}

		d := Scratch(2048)
		Recycle(d, Reshape(d, 2, 1024)) // the same buffer twice, through a view
		require.EqualValues(t, 4*2048, scratch.bytes, "a buffer given back twice is kept once")
		require.NotSame(t, &F32(Scratch(2048))[0], &F32(Scratch(2048))[0])

		small := Scratch(minPooled - 1)
		ps := &F32(small)[0]
		Recycle(small)
		require.NotSame(t, ps, &F32(Scratch(minPooled - 1))[0], "buffers under minPooled are not kept")
	})
}

func TestScratchLimitEvictsLeastRecentlyUsed(t *testing.T) {
	const n = 4096 // 16 KiB
	withPool(t, 3*4*n, func() {
		a, b, c := Scratch(n), Scratch(n+1024), Scratch(n+2048)
		pa, pb, pc := &F32(a)[0], &F32(b)[0], &F32(c)[0]
		Recycle(a)
		Recycle(b)
		require.EqualValues(t, 4*(2*n+1024), scratch.bytes)
		Recycle(c) // over the limit: a's length was used least recently
		require.EqualValues(t, 4*(2*n+3072), scratch.bytes)
		require.NotSame(t, pa, &F32(Scratch(n))[0], "the least recently used length was dropped")
		require.Same(t, pc, &F32(Scratch(n + 2048))[0])
		require.Same(t, pb, &F32(Scratch(n + 1024))[0])

		Recycle(Scratch(4 * n)) // larger than the limit: not kept
		require.Zero(t, scratch.bytes)
		require.Equal(t, int64(3*4*n), SetScratchLimit(0))
		Recycle(Scratch(n))
		require.Zero(t, scratch.bytes, "a zero limit keeps nothing")
	})
}

// TestOpsWriteEveryElement runs the operations whose results come from the
// pool uninitialised on NaN-filled recycled buffers and compares them with
// results in fresh (zero) memory: an element an operation fails to write
// keeps its NaN.
func TestOpsWriteEveryElement(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func(shape ...int) *Dense { return FromSlice(randSlice(r, numel(shape)), shape...) }
	x7, x300 := rnd(7, 48), rnd(300, 48)
	w, b := rnd(40, 48), rnd(40)
	img := rnd(1, 16, 32, 32)
	w3, w1, cb := rnd(24, 16, 3, 3), rnd(24, 16, 1, 1), rnd(24)
	q, k, v := rnd(1, 70, 64), rnd(1, 33, 64), rnd(1, 33, 64)
	tok, g48, b48 := rnd(2, 50, 48), rnd(48), rnd(48)
	g16, b16 := rnd(16), rnd(16)
	cases := []struct {
		name string
		op   func() *Dense
	}{
		{"linear few rows", func() *Dense { return Linear(x7, w, b) }},
		{"linear packed", func() *Dense { return Linear(x300, w, b) }},
		{"linear no bias", func() *Dense { return Linear(x300, w, nil) }},
		{"conv 3x3 winograd", func() *Dense { return Conv2D(img, w3, cb, 1, 1) }},
		{"conv 3x3 no bias", func() *Dense { return Conv2D(img, w3, nil, 1, 1) }},
		{"conv 3x3 stride 2", func() *Dense { return Conv2D(img, w3, cb, 2, 1) }},
		{"conv 3x3 small", func() *Dense { return Conv2D(Narrow(Narrow(img, 2, 0, 5), 3, 0, 6), w3, cb, 1, 1) }},
		{"conv 1x1", func() *Dense { return Conv2D(img, w1, cb, 1, 0) }},
		{"attention", func() *Dense { return Attention(q, k, v, 4, 0.125, false) }},
		{"attention causal", func() *Dense { return Attention(q, q, q, 2, 0.125, true) }},
		{"geglu", func() *Dense { return GEGLU(x300) }},
		{"group norm", func() *Dense { return GroupNorm(img, 4, g16, b16, 1e-5) }},
		{"group norm silu", func() *Dense { return GroupNormSiLU(img, 4, g16, b16, 1e-5) }},
		{"layer norm", func() *Dense { return LayerNorm(tok, g48, b48, 1e-5) }},
		{"permute", func() *Dense { return Permute(img, 0, 2, 3, 1) }},
		{"concat", func() *Dense { return Concat(1, img, img) }},
		{"narrow", func() *Dense { return Narrow(img, 1, 3, 9) }},
		{"upsample", func() *Dense { return UpsampleNearest2x(img) }},
		{"add broadcast", func() *Dense { return Add(img, Reshape(g16, 1, 16, 1, 1)) }},
		{"silu", func() *Dense { return SiLU(img) }},
		{"gelu", func() *Dense { return GELU(img) }},
		{"gelu tanh", func() *Dense { return GELUTanh(img) }},
		{"quick gelu", func() *Dense { return QuickGELU(img) }},
		{"scale", func() *Dense { return Scale(img, 0.5) }},
		{"add scalar", func() *Dense { return AddScalar(img, 1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want, got *Dense
			withPool(t, 0, func() { want = c.op() })
			withPool(t, DefaultScratchLimit, func() {
				for range 3 {
					Recycle(nanTensor(Shape(want)...))
				}
				got = c.op()
			})
			require.Equal(t, Shape(want), Shape(got))
			for i, v := range F32(got) {
				if math.IsNaN(float64(v)) {
					require.Fail(t, fmt.Sprintf("element %d of %v left unwritten", i, Shape(got)))
				}
			}
			require.Equal(t, F32(want), F32(got))
		})
	}
}
