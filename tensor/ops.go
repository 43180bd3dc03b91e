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
	out := F32(Scratch(len(src)))
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

// Binary operations.
const (
	opAdd byte = iota
	opSub
	opMul
	opDiv
)

func apply1(op byte, x, y float32) float32 {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	}
	return x / y
}

// rowVV sets dst[j] = x[j] op y[j].
func rowVV(op byte, dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	switch op {
	case opAdd:
		for j := range dst {
			dst[j] = x[j] + y[j]
		}
	case opSub:
		for j := range dst {
			dst[j] = x[j] - y[j]
		}
	case opMul:
		for j := range dst {
			dst[j] = x[j] * y[j]
		}
	default:
		for j := range dst {
			dst[j] = x[j] / y[j]
		}
	}
}

// rowVS sets dst[j] = x[j] op y.
func rowVS(op byte, dst, x []float32, y float32) {
	x = x[:len(dst)]
	switch op {
	case opAdd:
		for j := range dst {
			dst[j] = x[j] + y
		}
	case opSub:
		for j := range dst {
			dst[j] = x[j] - y
		}
	case opMul:
		for j := range dst {
			dst[j] = x[j] * y
		}
	default:
		for j := range dst {
			dst[j] = x[j] / y
		}
	}
}

// rowSV sets dst[j] = x op y[j].
func rowSV(op byte, dst []float32, x float32, y []float32) {
	y = y[:len(dst)]
	switch op {
	case opAdd:
		for j := range dst {
			dst[j] = x + y[j]
		}
	case opSub:
		for j := range dst {
			dst[j] = x - y[j]
		}
	case opMul:
		for j := range dst {
			dst[j] = x * y[j]
		}
	default:
		for j := range dst {
			dst[j] = x / y[j]
		}
	}
}

// broadcastApply applies op elementwise with NumPy broadcasting into dst
// (which has the broadcast shape), in parallel over rows.
func broadcastApply(dst []float32, outShape []int, a []float32, as []int, b []float32, bs []int, op byte) {
	if len(a) == len(dst) && len(b) == len(dst) {
		parallelRange(len(dst), 1<<15, func(lo, hi int) { rowVV(op, dst[lo:hi], a[lo:hi], b[lo:hi]) })
		return
	}
	nd := len(outShape)
	if nd == 0 {
		dst[0] = apply1(op, a[0], b[0])
		return
	}
	sa := broadcastStrides(as, outShape)
	sb := broadcastStrides(bs, outShape)
	inner := outShape[nd-1]
	if inner == 0 {
		return
	}
	ia, ib := sa[nd-1], sb[nd-1]
	rows := len(dst) / inner
	parallelRange(rows, max(1, (1<<15)/inner), func(lo, hi int) {
		idx := make([]int, nd)
		for r, d := lo, nd-2; d >= 0; d-- {
			idx[d] = r % outShape[d]
			r /= outShape[d]
		}
		for row := lo; row < hi; row++ {
			pa, pb := 0, 0
			for d := 0; d < nd-1; d++ {
				pa += idx[d] * sa[d]
				pb += idx[d] * sb[d]
			}
			out := dst[row*inner : (row+1)*inner]
			switch {
			case ia == 1 && ib == 1:
				rowVV(op, out, a[pa:pa+inner], b[pb:pb+inner])
			case ia == 1 && ib == 0:
				rowVS(op, out, a[pa:pa+inner], b[pb])
			case ia == 0 && ib == 1:
				rowSV(op, out, a[pa], b[pb:pb+inner])
			default:
				for j := range out {
					out[j] = apply1(op, a[pa+j*ia], b[pb+j*ib])
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
	})
}

func broadcastOp(a, b *Dense, op byte) *Dense {
	as, bs := Shape(a), Shape(b)
	out, err := broadcastShape(as, bs)
	if err != nil {
		panic(err.Error())
	}
	res := Scratch(out...)
	broadcastApply(F32(res), out, F32(a), as, F32(b), bs, op)
	return res
}

// Add returns a+b with NumPy broadcasting.
func Add(a, b *Dense) *Dense { return broadcastOp(a, b, opAdd) }

// Sub returns a-b with NumPy broadcasting.
func Sub(a, b *Dense) *Dense { return broadcastOp(a, b, opSub) }

// Mul returns a*b with NumPy broadcasting.
func Mul(a, b *Dense) *Dense { return broadcastOp(a, b, opMul) }

// Div returns a/b with NumPy broadcasting.
func Div(a, b *Dense) *Dense { return broadcastOp(a, b, opDiv) }

func inPlaceOp(dst, src *Dense, op byte) *Dense {
	ds, ss := Shape(dst), Shape(src)
	out, err := broadcastShape(ds, ss)
	if err != nil || numel(out) != numel(ds) || len(out) != len(ds) {
		panic(fmt.Sprintf("tensor: %v does not broadcast onto %v", ss, ds))
	}
	d := F32(dst)
	broadcastApply(d, ds, d, ds, F32(src), ss, op)
	return dst
}

// AddInPlace adds src (same shape or broadcastable to dst) into dst and
// returns dst.
func AddInPlace(dst, src *Dense) *Dense { return inPlaceOp(dst, src, opAdd) }

// MulInPlace multiplies dst by src (broadcastable to dst) and returns dst.
func MulInPlace(dst, src *Dense) *Dense { return inPlaceOp(dst, src, opMul) }

// AddScalar returns x+s.
func AddScalar(x *Dense, s float32) *Dense {
	src := F32(x)
	out := F32(Scratch(len(src)))
	for i, v := range src {
		out[i] = v + s
	}
	return FromSlice(out, Shape(x)...)
}
