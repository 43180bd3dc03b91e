package tensor

import "fmt"

// Permute returns a contiguous copy of x with its dimensions reordered:
// output dimension i is input dimension perm[i].
func Permute(x *Dense, perm ...int) *Dense {
	in := Shape(x)
	nd := len(in)
	if len(perm) != nd {
		panic(fmt.Sprintf("tensor: permute %v of shape %v", perm, in))
	}
	inStr := make([]int, nd)
	s := 1
	for i := nd - 1; i >= 0; i-- {
		inStr[i] = s
		s *= in[i]
	}
	out := make([]int, nd)
	str := make([]int, nd)
	seen := make([]bool, nd)
	for i, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("tensor: invalid permutation %v", perm))
		}
		seen[p] = true
		out[i] = in[p]
		str[i] = inStr[p]
	}
	res := Scratch(out...)
	dst, src := F32(res), F32(x)
	if nd == 0 || len(dst) == 0 {
		copy(dst, src)
		return res
	}
	if permuteTranspose(dst, src, in, perm) {
		return res
	}
	inner, is := out[nd-1], str[nd-1]
	idx := make([]int, nd)
	for off := 0; off < len(dst); off += inner {
		p := 0
		for d := 0; d < nd-1; d++ {
			p += idx[d] * str[d]
		}
		row := dst[off : off+inner]
		if is == 1 {
			copy(row, src[p:p+inner])
		} else {
			for j := range row {
				row[j] = src[p+j*is]
			}
		}
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return res
}

// permuteTranspose handles permutations that keep leading and trailing
// dimensions and rotate the middle ones, i.e. batched transposes
// [B][R][C][E] -> [B][C][R][E] (NCHW <-> NHWC, heads <-> tokens), by
// tiles, in parallel. It reports whether it applied.
func permuteTranspose(dst, src []float32, in, perm []int) bool {
	nd := len(perm)
	k := 0
	for k < nd && perm[k] == k {
		k++
	}
	e := nd
	for e > k && perm[e-1] == e-1 {
		e--
	}
	if k >= e {
		return false
	}
	j := perm[k]
	if j <= k || j >= e {
		return false
	}
	for i := 0; i < e-j; i++ {
		if perm[k+i] != j+i {
			return false
		}
	}
	for i := 0; i < j-k; i++ {
		if perm[k+e-j+i] != k+i {
			return false
		}
	}
	nb, nr, nc, ne := numel(in[:k]), numel(in[k:j]), numel(in[j:e]), numel(in[e:])
	const tile = 32
	tr, tc := (nr+tile-1)/tile, (nc+tile-1)/tile
	parallelRange(nb*tr, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			b, r0 := t/tr, t%tr*tile
			r1 := min(r0+tile, nr)
			s := src[b*nr*nc*ne:]
			d := dst[b*nr*nc*ne:]
			for ct := 0; ct < tc; ct++ {
				c0 := ct * tile
				c1 := min(c0+tile, nc)
				for r := r0; r < r1; r++ {
					for c := c0; c < c1; c++ {
						if ne == 1 {
							d[c*nr+r] = s[r*nc+c]
						} else {
							copy(d[(c*nr+r)*ne:(c*nr+r+1)*ne], s[(r*nc+c)*ne:(r*nc+c+1)*ne])
						}
					}
				}
			}
		}
	})
	return true
}

// Concat joins tensors along dim; all other dimensions must agree.
func Concat(dim int, xs ...*Dense) *Dense {
	if len(xs) == 0 {
		panic("tensor: concat of nothing")
	}
	first := Shape(xs[0])
	if dim < 0 {
		dim += len(first)
	}
	if dim < 0 || dim >= len(first) {
		panic(fmt.Sprintf("tensor: concat dim %d of shape %v", dim, first))
	}
	out := append([]int(nil), first...)
	out[dim] = 0
	for _, x := range xs {
		s := x.Shape()
		if len(s) != len(first) {
			panic(fmt.Sprintf("tensor: concat shapes %v and %v", first, s))
		}
		for i := range s {
			if i != dim && s[i] != first[i] {
				panic(fmt.Sprintf("tensor: concat shapes %v and %v on dim %d", first, s, dim))
			}
		}
		out[dim] += s[dim]
	}
	outer := numel(first[:dim])
	inner := numel(first[dim+1:])
	res := Scratch(out...)
	dst := F32(res)
	rowLen := out[dim] * inner
	offs := make([]int, len(xs)+1)
	for i, x := range xs {
		offs[i+1] = offs[i] + x.Shape()[dim]*inner
	}
	// One copy per (outer index, input), spread over the workers when big.
	copyOne := func(t int) {
		o, i := t/len(xs), t%len(xs)
		w := offs[i+1] - offs[i]
		copy(dst[o*rowLen+offs[i]:o*rowLen+offs[i]+w], F32(xs[i])[o*w:(o+1)*w])
	}
	if n := outer * len(xs); len(dst) >= 1<<18 {
		parallelFor(n, copyOne)
	} else {
		for t := 0; t < n; t++ {
			copyOne(t)
		}
	}
	return res
}

// Chunk splits x along dim into n pieces (copies) like torch.chunk: every
// piece has ceil(size/n) entries except a smaller last one, and fewer than
// n pieces come back when size is not large enough.
func Chunk(x *Dense, n, dim int) []*Dense {
	sh := Shape(x)
	if dim < 0 {
		dim += len(sh)
	}
	if n <= 0 || dim < 0 || dim >= len(sh) {
		panic(fmt.Sprintf("tensor: chunk %d along %d of shape %v", n, dim, sh))
	}
	size := (sh[dim] + n - 1) / n
	var res []*Dense
	for start := 0; start < sh[dim]; start += size {
		res = append(res, Narrow(x, dim, start, min(size, sh[dim]-start)))
	}
	return res
}

// Narrow returns a copy of x restricted to [start, start+length) along dim.
func Narrow(x *Dense, dim, start, length int) *Dense {
	sh := Shape(x)
	if dim < 0 {
		dim += len(sh)
	}
	if dim < 0 || dim >= len(sh) || start < 0 || length < 0 || start+length > sh[dim] {
		panic(fmt.Sprintf("tensor: narrow dim %d [%d,+%d) of shape %v", dim, start, length, sh))
	}
	outer := numel(sh[:dim])
	inner := numel(sh[dim+1:])
	out := append([]int(nil), sh...)
	out[dim] = length
	res := Scratch(out...)
	dst, src := F32(res), F32(x)
	w := length * inner
	for o := 0; o < outer; o++ {
		copy(dst[o*w:(o+1)*w], src[(o*sh[dim]+start)*inner:(o*sh[dim]+start)*inner+w])
	}
	return res
}

// UpsampleNearest2x doubles the two last dimensions of an [N,C,H,W]
// tensor by nearest-neighbour repetition.
func UpsampleNearest2x(x *Dense) *Dense {
	sh := Shape(x)
	if len(sh) != 4 {
		panic(fmt.Sprintf("tensor: upsample of shape %v", sh))
	}
	h, w := sh[2], sh[3]
	planes := sh[0] * sh[1]
	res := Scratch(sh[0], sh[1], 2*h, 2*w)
	dst, src := F32(res), F32(x)
	parallelRange(planes, 8, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			for i := 0; i < h; i++ {
				s := src[(p*h+i)*w : (p*h+i+1)*w]
				d := dst[(p*2*h+2*i)*2*w : (p*2*h+2*i+1)*2*w]
				for j, v := range s {
					d[2*j] = v
					d[2*j+1] = v
				}
				copy(dst[(p*2*h+2*i+1)*2*w:(p*2*h+2*i+2)*2*w], d)
			}
		}
	})
	return res
}
