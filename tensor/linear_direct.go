package tensor

// linearDirectRows is the most rows of x for which Linear reads the weight
// in place instead of packing it: the transposed product wᵀ·… on the
// unpacked-A kernel. A weight packed for few rows is read from memory three
// times (read, written packed, read again) for little arithmetic per value;
// in place it is read once. BenchmarkLinearFewRows: 10–25% faster on the
// text encoders' 77 rows and the UNet's 8×8 level (64), even at 256 rows,
// slower at 512.
const linearDirectRows = 160

// linearDirect computes c [rows, out] = x [rows, in]·wᵀ + bias (bias may
// be nil) with the weight w [out, in] as the unpacked A of Cᵀ = w·xᵀ: x is
// packed (it is small), the weight is read where it lies, a block of its
// rows per task, each output starting from its bias.
// Each element accumulates its K blocks in the order the packed product
// does, onto the same starting value, so the results are the same bits.
// A float16 weight is widened a tile at a time, where it is used.
func linearDirect(g *blockedGemm, c, x []float32, w *Dense, bias []float32, rows, out, in int) {
	src, release := weightSourceOf(w)
	defer release()
	xp := getScratch(g.packedSize(rows, in))
	defer putScratch(xp)
	g.prepackB(*xp, true, rows, in, x, in)
	weightRows(g, *xp, src, out, rows, in, startFromBias(bias, rows), func(o0, o1 int, ct []float32, ldt int) {
		for r := 0; r < rows; r++ {
			dst := c[r*out+o0 : r*out+o1]
			for i := range dst {
				dst[i] = ct[i*ldt+r]
			}
		}
	})
}

// weightRows runs the product of a weight w [m, k], read in place, with a
// packed B (k×n in prepackB's layout for g.nr) on every worker, a block of
// weight rows [r0, r1) per task: init sets the block's starting values in
// ct (row r-r0 for weight row r, ldt apart; the rest of ct is zero), the
// K blocks are accumulated onto them in order, and emit takes the result.
func weightRows(g *blockedGemm, bp []float32, w weightSource, m, n, k int, init, emit func(r0, r1 int, ct []float32, ldt int)) {
	tk := g.direct[0] // the g.mr×g.nr tile prepackB packs for
	mr := tk.mr
	ldt := roundUp(n, tk.nr)
	tiles := (m + mr - 1) / mr
	chunks := min(tiles, 4*numWorkers())
	if 2*m*n*k < 1<<18 {
		chunks = 1
	}
	parallelFor(chunks, func(ci int) {
		r0, r1 := ci*tiles/chunks*mr, min((ci+1)*tiles/chunks*mr, m)
		t := getScratch(roundUp(r1-r0, mr) * ldt)
		defer putScratch(t)
		ct := *t
		clear(ct)
		init(r0, r1, ct, ldt)
		linearDirectBlock(g, tk, ct, ldt, bp, w.rows(r0, r1, k), r1-r0, n, k)
		emit(r0, r1, ct, ldt)
	})
}

// startFromBias is weightRows' init for products plus a bias per weight
// row (nil: none): the first n values of row r start at bias[r].
func startFromBias(bias []float32, n int) func(r0, r1 int, ct []float32, ldt int) {
	return func(r0, r1 int, ct []float32, ldt int) {
		if bias == nil {
			return
		}
		for r := r0; r < r1; r++ {
			row := ct[(r-r0)*ldt : (r-r0)*ldt+n]
			for i := range row {
				row[i] = bias[r]
			}
		}
	}
}

// weightSourceOf reads w in place: float32 values, float16 bits widened
// tile by tile, or (bfloat16) a widened copy that release gives back.
func weightSourceOf(w *Dense) (weightSource, func()) {
	if IsHalf(w) {
		return weightSource{half: HalfBits(w), widen: halfConverter()}, func() {}
	}
	wt, release := weightF32(w)
	return weightSource{f32: wt}, release
}

// weightSource is a weight matrix read in place: float32 values, or
// float16 bits widened a tile at a time.
type weightSource struct {
	f32   []float32
	half  []uint16
	widen func([]float32, []uint16)
}

// rows is rows [r0, r1) of a matrix in columns wide.
func (s weightSource) rows(r0, r1, in int) weightSource {
	if s.half != nil {
		s.half = s.half[r0*in : r1*in]
	} else {
		s.f32 = s.f32[r0*in : r1*in]
	}
	return s
}

// tile returns rows [i0, i0+mm) and columns [pc, pc+kb) of the matrix (in
// columns wide) as float32 rows lda apart: in place, or widened (and
// zero-padded to mr rows) into buf.
func (s weightSource) tile(buf []float32, i0, mm, mr, pc, kb, in int) (a []float32, lda int) {
	if s.half == nil && mm == mr {
		return s.f32[i0*in+pc:], in
	}
	ap := buf[:mr*kb]
	for i := 0; i < mm; i++ {
		if s.half != nil {
			s.widen(ap[i*kb:(i+1)*kb], s.half[(i0+i)*in+pc:(i0+i)*in+pc+kb])
		} else {
			copy(ap[i*kb:(i+1)*kb], s.f32[(i0+i)*in+pc:(i0+i)*in+pc+kb])
		}
	}
	clear(ap[mm*kb:])
	return ap, kb
}

// linearDirectBlock accumulates m rows of the weight w [m, in] times the
// packed xᵀ into ct (leading dimension ldt, whole mr×nr tiles), K block by
// K block.
func linearDirectBlock(g *blockedGemm, tk tileKernel, ct []float32, ldt int, xp []float32, w weightSource, m, rows, in int) {
	mr, nr := tk.mr, tk.nr
	kc := g.kcFor(in)
	nsl := (rows + nr - 1) / nr
	abuf := getScratch(mr * kc)
	defer putScratch(abuf)
	for pc := 0; pc < in; pc += kc {
		kb := min(kc, in-pc)
		panel := xp[g.packedOffset(0, pc, rows, in):]
		for ir := 0; ir < m; ir += mr {
			a, lda := w.tile(*abuf, ir, min(mr, m-ir), mr, pc, kb, in)
			for sl := 0; sl < nsl; sl++ {
				tk.kern(kb, &a[0], lda, &panel[sl*nr*kb], &ct[ir*ldt+sl*nr], ldt)
			}
		}
	}
}
