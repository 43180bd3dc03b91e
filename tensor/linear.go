package tensor

import "fmt"

// Linear returns x·wᵀ + b for x [..., in], w [out, in] (PyTorch layout,
// used without a copy; float32, float16 bits (NewHalf) or bfloat16 bits
// (NewBF16)) and b [out] or nil.
func Linear(x, w, b *Dense) *Dense {
	xs := Shape(x)
	ws := w.Shape()
	if len(ws) != 2 || len(xs) == 0 {
		panic(fmt.Sprintf("tensor: linear of %v with weight %v", xs, ws))
	}
	xs[len(xs)-1] = ws[0]
	return LinearInto(Scratch(xs...), x, w, b)
}

// LinearInto computes x·wᵀ + b into dst ([..., out], not overlapping x) and
// returns dst.
func LinearInto(dst, x, w, b *Dense) *Dense {
	xs, ws := x.Shape(), w.Shape()
	if len(ws) != 2 || len(xs) == 0 || xs[len(xs)-1] != ws[1] {
		panic(fmt.Sprintf("tensor: linear of %v with weight %v", xs, ws))
	}
	in, out := ws[1], ws[0]
	rows := numel(xs[:len(xs)-1])
	c := F32(dst)
	if len(c) != rows*out {
		panic(fmt.Sprintf("tensor: linear output %v for %d×%d", dst.Shape(), rows, out))
	}
	var bias []float32
	if b != nil {
		if bias = F32(b); len(bias) != out {
			panic(fmt.Sprintf("tensor: linear bias %v for %d outputs", b.Shape(), out))
		}
	}
	linearProduct(c, F32(x), w, bias, rows, out, in)
	return dst
}

// linearProduct computes c = x·wᵀ + bias (bias may be nil) for the
// weight's storage and shape: bfloat16 packed straight from its bits, few
// rows read in place, float16 widened as it is packed, else the default
// GEMM.
func linearProduct(c, x []float32, w *Dense, bias []float32, rows, out, in int) {
	threads := numWorkers()
	if 2*rows*out*in < 1<<18 {
		threads = 1
	}
	bg := bf16Driver(w)
	bf16 := bg != nil && IsBF16(w)
	g, blocked := DefaultGemm().(*blockedGemm)
	if !bf16 && blocked && !g.pairs && len(g.direct) > 0 && rows <= linearDirectRows {
		linearDirect(g, c, x, w, bias, rows, out, in)
		return
	}
	beta := float32(0)
	if bias != nil {
		for r := 0; r < rows; r++ {
			copy(c[r*out:(r+1)*out], bias)
		}
		beta = 1
	}
	if bf16 {
		bg.run(threads, false, true, rows, out, in, 1, x, in, nil, nil, 0, nil, bf16TransB(BF16Bits(w), in, bg.nr), beta, c, out)
		return
	}
	if blocked && !g.pairs && IsHalf(w) {
		g.run(threads, false, true, rows, out, in, 1, x, in, nil, nil, 0, nil, halfTransB(HalfBits(w), in, g.nr), beta, c, out)
		return
	}
	wt, release := weightF32(w)
	defer release()
	Sgemm(false, true, rows, out, in, 1, x, in, wt, in, beta, c, out)
}

// MatMul multiplies op(a)·op(b) where op transposes the last two
// dimensions when requested. Both operands are 2-D, or a is 3-D [B,M,K]
// and b is 3-D [B,K,N] (or 2-D, shared by every batch).
func MatMul(a, b *Dense, transA, transB bool) *Dense {
	as, bs := a.Shape(), b.Shape()
	if len(as) < 2 || len(as) > 3 || len(bs) < 2 || len(bs) > 3 || (len(as) == 2 && len(bs) == 3) {
		panic(fmt.Sprintf("tensor: matmul of %v and %v", as, bs))
	}
	batch := 1
	if len(as) == 3 {
		batch = as[0]
		if len(bs) == 3 && bs[0] != batch {
			panic(fmt.Sprintf("tensor: matmul batch %v and %v", as, bs))
		}
	}
	ar, ac := as[len(as)-2], as[len(as)-1]
	br, bc := bs[len(bs)-2], bs[len(bs)-1]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	k2, n := br, bc
	if transB {
		k2, n = bc, br
	}
	if k != k2 {
		panic(fmt.Sprintf("tensor: matmul inner sizes of %v and %v differ", as, bs))
	}
	var res *Dense
	if len(as) == 3 {
		res = New(batch, m, n)
	} else {
		res = New(m, n)
	}
	A, B, C := F32(a), F32(b), F32(res)
	bStride := br * bc
	if len(bs) == 2 {
		bStride = 0
	}
	one := func(i int, serial bool) {
		f := Sgemm
		if serial {
			f = sgemmSerial
		}
		f(transA, transB, m, n, k, 1, A[i*ar*ac:(i+1)*ar*ac], ac, B[i*bStride:i*bStride+br*bc], bc, 0, C[i*m*n:(i+1)*m*n], n)
	}
	if batch > 1 && 2*m*n*k < 1<<22 {
		parallelFor(batch, func(i int) { one(i, true) })
		return res
	}
	for i := 0; i < batch; i++ {
		one(i, false)
	}
	return res
}
