package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
)

// nextIndex advances the row-major multi-index idx within shape.
func nextIndex(idx, shape []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}

// naiveBroadcast computes a op b element by element from multi-indices.
func naiveBroadcast(a, b *Dense, op byte) []float32 {
	as, bs := a.Shape(), b.Shape()
	out, _ := broadcastShape(as, bs)
	res := make([]float32, numel(out))
	idx := make([]int, len(out))
	at := func(t []float32, sh []int) float32 {
		off := 0
		for i, s := range sh {
			d := idx[len(out)-len(sh)+i]
			if s == 1 {
				d = 0
			}
			off = off*s + d
		}
		return t[off]
	}
	for i := range res {
		res[i] = apply1(op, at(F32(a), as), at(F32(b), bs))
		nextIndex(idx, out)
	}
	return res
}

func TestBroadcastShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, c := range [][2][]int{
		{{2, 3, 4, 5}, {3, 1, 1}}, {{2, 3, 4, 5}, {2, 3, 1, 1}}, {{4, 1, 5}, {3, 1}}, {{1, 6}, {5, 1}},
		{{2, 300, 70}, {70}}, {{2, 5, 3}, {2, 1, 3}}, {{7}, {1}}, {{3, 1, 2}, {1, 4, 1}}, {{2, 4096, 20}, {2, 4096, 20}},
	} {
		a := FromSlice(randSlice(r, numel(c[0])), c[0]...)
		b := FromSlice(randSlice(r, numel(c[1])), c[1]...)
		for op, f := range []func(a, b *Dense) *Dense{Add, Sub, Mul, Div} {
			got := F32(f(a, b))
			want := naiveBroadcast(a, b, byte(op))
			testutil.RequireClose(t, want, got, 0, "%v op%d %v", c[0], op, c[1])
		}
		if out, _ := broadcastShape(c[0], c[1]); numel(out) == numel(c[0]) && len(out) == len(c[0]) {
			got := F32(AddInPlace(Clone(a), b))
			want := naiveBroadcast(a, b, opAdd)
			testutil.RequireClose(t, want, got, 0, "AddInPlace %v %v", c[0], c[1])
		}
	}
}

// naivePermute is an index-by-index reference for Permute.
func naivePermute(x *Dense, perm []int) []float32 {
	in := x.Shape()
	nd := len(in)
	out := make([]int, nd)
	for i, p := range perm {
		out[i] = in[p]
	}
	res := make([]float32, numel(in))
	idx := make([]int, nd)
	src := F32(x)
	for i := range res {
		off := 0
		for d := 0; d < nd; d++ {
			// Input index of dimension d is the output index at the
			// position holding d.
			for o, p := range perm {
				if p == d {
					off = off*in[d] + idx[o]
				}
			}
		}
		res[i] = src[off]
		nextIndex(idx, out)
	}
	return res
}

func TestPermuteShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, c := range []struct {
		shape, perm []int
	}{
		{[]int{2, 5, 7, 9}, []int{0, 2, 3, 1}}, {[]int{2, 7, 9, 5}, []int{0, 3, 1, 2}}, {[]int{2, 33, 3, 8}, []int{0, 2, 1, 3}},
		{[]int{40, 70}, []int{1, 0}}, {[]int{3, 4, 5}, []int{2, 0, 1}}, {[]int{2, 3, 4, 5}, []int{3, 2, 1, 0}},
		{[]int{2, 3, 4, 5}, []int{0, 1, 2, 3}}, {[]int{1, 65, 2, 33}, []int{0, 2, 1, 3}},
	} {
		x := FromSlice(randSlice(r, numel(c.shape)), c.shape...)
		got := F32(Permute(x, c.perm...))
		want := naivePermute(x, c.perm)
		testutil.RequireClose(t, want, got, 0, "permute %v %v", c.shape, c.perm)
	}
}

func TestConcatLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	a := FromSlice(randSlice(r, 2*300*500), 2, 300, 500)
	b := FromSlice(randSlice(r, 2*100*500), 2, 100, 500)
	c := Concat(1, a, b)
	for _, p := range []struct {
		part       *Dense
		start, len int
	}{{a, 0, 300}, {b, 300, 100}} {
		got, want := F32(Narrow(c, 1, p.start, p.len)), F32(p.part)
		testutil.RequireClose(t, want, got, 0, "concat part at %d", p.start)
	}
}
