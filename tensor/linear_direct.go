package tensor

// linearDirectRows is the most rows of x for which Linear reads the weight
// in place instead of packing it: the transposed product wᵀ·… on the
// unpacked-A kernel. A weight packed for few rows is read from memory three
// times (read, written packed, read again) for little arithmetic per value;
// in place it is read once. BenchmarkLinearFewRows: 10–25% faster on the
// text encoders' 77 rows and the UNet's 8×8 level (64), even at 256 rows,
// slower at 512.
const linearDirectRows = 160

// linearDirect computes c [rows, out] = beta·c + x [rows, in]·wᵀ with the
// weight wt [out, in] as the unpacked A of Cᵀ = w·xᵀ: x is packed (it is
// small), the weight is read where it lies, a block of its rows per task.
// Each element accumulates its K blocks in the order the packed product
// does, onto the same starting value, so the results are the same bits.
func linearDirect(g *blockedGemm, c, x, wt []float32, rows, out, in int, beta float32) {
	tk := g.direct[0] // the g.mr×g.nr tile prepackB packs for
	mr, nr := tk.mr, tk.nr
	xp := getScratch(g.packedSize(rows, in))
	defer putScratch(xp)
	g.prepackB(*xp, true, rows, in, x, in)
	ldt := roundUp(rows, nr)
	tiles := (out + mr - 1) / mr
	chunks := min(tiles, 4*numWorkers())
	if 2*rows*out*in < 1<<18 {
		chunks = 1
	}
	parallelFor(chunks, func(ci int) {
		o0, o1 := ci*tiles/chunks*mr, min((ci+1)*tiles/chunks*mr, out)
		t := getScratch(roundUp(o1-o0, mr) * ldt) // Cᵀ for rows o0..o1 of the weight
		defer putScratch(t)
		ct := *t
		for o := o0; o < o1; o++ {
			row := ct[(o-o0)*ldt : (o-o0+1)*ldt]
			for r := range rows {
				row[r] = beta * c[r*out+o] // beta is 0 or 1: exact
			}
			clear(row[rows:])
		}
		clear(ct[(o1-o0)*ldt:])
		linearDirectBlock(g, tk, ct, ldt, *xp, wt[o0*in:o1*in], o1-o0, rows, in)
		for r := 0; r < rows; r++ {
			dst := c[r*out+o0 : r*out+o1]
			for i := range dst {
				dst[i] = ct[i*ldt+r]
			}
		}
	})
}

// linearDirectBlock accumulates m rows of the weight w [m, in] times the
// packed xᵀ into ct (leading dimension ldt, whole mr×nr tiles), K block by
// K block.
func linearDirectBlock(g *blockedGemm, tk tileKernel, ct []float32, ldt int, xp, w []float32, m, rows, in int) {
	mr, nr := tk.mr, tk.nr
	kc := g.kcFor(in)
	nsl := (rows + nr - 1) / nr
	full := m / mr * mr
	var abuf *[]float32
	if full < m {
		abuf = getScratch(mr * kc)
		defer putScratch(abuf)
	}
	for pc := 0; pc < in; pc += kc {
		kb := min(kc, in-pc)
		panel := xp[g.packedOffset(0, pc, rows, in):]
		for ir := 0; ir < full; ir += mr {
			for sl := 0; sl < nsl; sl++ {
				tk.kern(kb, &w[ir*in+pc], in, &panel[sl*nr*kb], &ct[ir*ldt+sl*nr], ldt)
			}
		}
		if full < m {
			// The last rows, zero-padded to a whole tile.
			ap := (*abuf)[:mr*kb]
			clear(ap)
			for i := full; i < m; i++ {
				copy(ap[(i-full)*kb:(i-full+1)*kb], w[i*in+pc:i*in+pc+kb])
			}
			for sl := 0; sl < nsl; sl++ {
				tk.kern(kb, &ap[0], kb, &panel[sl*nr*kb], &ct[full*ldt+sl*nr], ldt)
			}
		}
	}
}
