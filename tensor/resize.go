package tensor

import "fmt"

// ResizeNearest is torch.nn.functional.interpolate(x, size=(oh, ow),
// mode="nearest") on x [N, C, H, W]: output row y reads input row
// floor(y·(H/oh)), with the ratio and the product rounded to float32 as
// PyTorch computes them (and clamped to H-1); columns likewise. It returns a
// new [N, C, oh, ow] tensor.
func ResizeNearest(x *Dense, oh, ow int) *Dense {
	sh := Shape(x)
	if len(sh) != 4 || sh[2] <= 0 || sh[3] <= 0 || oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("tensor: resize of shape %v to %dx%d", sh, oh, ow))
	}
	h, w := sh[2], sh[3]
	out := New(sh[0], sh[1], oh, ow)
	src, dst := F32(x), F32(out)
	xi := nearestIndices(w, ow)
	yi := nearestIndices(h, oh)
	parallelRange(sh[0]*sh[1], 8, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			for y, sy := range yi {
				row := src[(p*h+sy)*w:][:w]
				d := dst[(p*oh+y)*ow:][:ow]
				for j, sx := range xi {
					d[j] = row[sx]
				}
			}
		}
	})
	return out
}

// nearestIndices maps each of out positions to its source index in a
// dimension of size in, as PyTorch's nearest mode does.
func nearestIndices(in, out int) []int {
	scale := float32(in) / float32(out)
	idx := make([]int, out)
	for i := range idx {
		idx[i] = min(int(float32(i)*scale), in-1)
	}
	return idx
}
