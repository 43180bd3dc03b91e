package tensor

import "fmt"

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Clone returns a deep copy of t.
func Clone(t *Dense) *Dense {
	src := F32(t)
	return FromSlice(append([]float32(nil), src...), Shape(t)...)
}

// Reshape returns a view of t with a new shape, sharing its data. One
// dimension may be -1 and is then inferred.
func Reshape(t *Dense, shape ...int) *Dense {
	data := F32(t)
	sh := append([]int(nil), shape...)
	neg, known := -1, 1
	for i, s := range sh {
		switch {
		case s == -1 && neg < 0:
			neg = i
		case s < 0:
			panic(fmt.Sprintf("tensor: reshape %v to invalid shape %v", t.Shape(), shape))
		default:
			known *= s
		}
	}
	if neg >= 0 {
		if known == 0 || len(data)%known != 0 {
			panic(fmt.Sprintf("tensor: reshape %v to %v: cannot infer -1", t.Shape(), shape))
		}
		sh[neg] = len(data) / known
	}
	return FromSlice(data, sh...)
}

// Scale returns x*s.
func Scale(x *Dense, s float32) *Dense {
	src := F32(x)
	out := make([]float32, len(src))
	for i, v := range src {
		out[i] = v * s
	}
	return FromSlice(out, Shape(x)...)
}

// ScaleInPlace multiplies x by s and returns x.
func ScaleInPlace(x *Dense, s float32) *Dense {
	d := F32(x)
	for i := range d {
		d[i] *= s
	}
	return x
}

// broadcastShape returns the NumPy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("tensor: shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// broadcastStrides returns row-major strides of shape aligned to the
// rank of out, with zero stride on broadcast dimensions.
func broadcastStrides(shape, out []int) []int {
	st := make([]int, len(out))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		j := len(out) - len(shape) + i
		if shape[i] != 1 {
			st[j] = s
		}
		s *= shape[i]
	}
	return st
}

// broadcastApply applies f elementwise with NumPy broadcasting into dst (which has
// the broadcast shape).
func broadcastApply(dst []float32, outShape []int, a []float32, as []int, b []float32, bs []int, f func(x, y float32) float32) {
	if len(a) == len(dst) && len(b) == len(dst) {
		for i := range dst {
			dst[i] = f(a[i], b[i])
		}
		return
	}
	sa := broadcastStrides(as, outShape)
	sb := broadcastStrides(bs, outShape)
	nd := len(outShape)
	if nd == 0 {
		dst[0] = f(a[0], b[0])
		return
	}
	inner := outShape[nd-1]
	ia, ib := sa[nd-1], sb[nd-1]
	idx := make([]int, nd)
	for off := 0; off < len(dst); off += inner {
		pa, pb := 0, 0
		for d := 0; d < nd-1; d++ {
			pa += idx[d] * sa[d]
			pb += idx[d] * sb[d]
		}
		row := dst[off : off+inner]
		switch {
		case ia == 1 && ib == 1:
			x, y := a[pa:pa+inner], b[pb:pb+inner]
			for j := range row {
				row[j] = f(x[j], y[j])
			}
		case ia == 1 && ib == 0:
			x, y := a[pa:pa+inner], b[pb]
			for j := range row {
				row[j] = f(x[j], y)
			}
		case ia == 0 && ib == 1:
			x, y := a[pa], b[pb:pb+inner]
			for j := range row {
				row[j] = f(x, y[j])
			}
		default:
			for j := range row {
				row[j] = f(a[pa+j*ia], b[pb+j*ib])
			}
		}
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < outShape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

func broadcastOp(a, b *Dense, f func(x, y float32) float32) *Dense {
	as, bs := Shape(a), Shape(b)
	out, err := broadcastShape(as, bs)
	if err != nil {
		panic(err.Error())
	}
	res := New(out...)
	broadcastApply(F32(res), out, F32(a), as, F32(b), bs, f)
	return res
}

// Add returns a+b with NumPy broadcasting.
func Add(a, b *Dense) *Dense { return broadcastOp(a, b, func(x, y float32) float32 { return x + y }) }

// Sub returns a-b with NumPy broadcasting.
func Sub(a, b *Dense) *Dense { return broadcastOp(a, b, func(x, y float32) float32 { return x - y }) }

// Mul returns a*b with NumPy broadcasting.
func Mul(a, b *Dense) *Dense { return broadcastOp(a, b, func(x, y float32) float32 { return x * y }) }

// Div returns a/b with NumPy broadcasting.
func Div(a, b *Dense) *Dense { return broadcastOp(a, b, func(x, y float32) float32 { return x / y }) }

func inPlaceOp(dst, src *Dense, f func(x, y float32) float32) *Dense {
	ds, ss := Shape(dst), Shape(src)
	out, err := broadcastShape(ds, ss)
	if err != nil || numel(out) != numel(ds) || len(out) != len(ds) {
		panic(fmt.Sprintf("tensor: %v does not broadcast onto %v", ss, ds))
	}
	d := F32(dst)
	broadcastApply(d, ds, d, ds, F32(src), ss, f)
	return dst
}

// AddInPlace adds src (same shape or broadcastable to dst) into dst and
// returns dst.
func AddInPlace(dst, src *Dense) *Dense {
	return inPlaceOp(dst, src, func(x, y float32) float32 { return x + y })
}

// MulInPlace multiplies dst by src (broadcastable to dst) and returns dst.
func MulInPlace(dst, src *Dense) *Dense {
	return inPlaceOp(dst, src, func(x, y float32) float32 { return x * y })
}

// AddScalar returns x+s.
func AddScalar(x *Dense, s float32) *Dense {
	src := F32(x)
	out := make([]float32, len(src))
	for i, v := range src {
		out[i] = v + s
	}
	return FromSlice(out, Shape(x)...)
}
