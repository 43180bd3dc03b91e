package tensor

import "fmt"

// maxColFloats bounds the im2col scratch of one convolution tile.
const maxColFloats = 1 << 21

// Conv2D is a 2-D cross-correlation of x [N,C,H,W] with w [O,C,kh,kw]
// (float32, float16 bits (NewHalf) or bfloat16 bits (NewBF16)),
// optional bias b [O], the same stride and zero padding on both axes.
func Conv2D(x, w, b *Dense, stride, padding int) *Dense {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 || stride < 1 || padding < 0 {
		panic(fmt.Sprintf("tensor: conv2d of %v with %v stride %d padding %d", xs, ws, stride, padding))
	}
	ho := (xs[2]+2*padding-ws[2])/stride + 1
	wo := (xs[3]+2*padding-ws[3])/stride + 1
	return Conv2DInto(Scratch(xs[0], ws[0], ho, wo), x, w, b, stride, padding)
}

// Conv2DInto computes Conv2D into dst ([N,O,Ho,Wo], not overlapping x) and
// returns dst.
func Conv2DInto(dst, x, w, b *Dense, stride, padding int) *Dense {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[1] != xs[1] || stride < 1 || padding < 0 {
		panic(fmt.Sprintf("tensor: conv2d of %v with %v", xs, ws))
	}
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	o, kh, kw := ws[0], ws[2], ws[3]
	ho := (h+2*padding-kh)/stride + 1
	wo := (wd+2*padding-kw)/stride + 1
	if ho <= 0 || wo <= 0 {
		panic(fmt.Sprintf("tensor: conv2d of %v with %v gives an empty output", xs, ws))
	}
	out := F32(dst)
	if len(out) != n*o*ho*wo {
		panic(fmt.Sprintf("tensor: conv2d output %v, want [%d %d %d %d]", dst.Shape(), n, o, ho, wo))
	}
	src := F32(x)
	var bias []float32
	if b != nil {
		if bias = F32(b); len(bias) != o {
			panic(fmt.Sprintf("tensor: conv2d bias of %d for %d channels", len(bias), o))
		}
	}
	cv := convGeom{c: c, h: h, w: wd, kh: kh, kw: kw, stride: stride, pad: padding, ho: ho, wo: wo}
	if convFast(out, src, w, bias, n, o, cv) {
		return dst
	}
	beta := float32(0)
	if bias != nil {
		fillBias(out, bias, n, o, ho*wo)
		beta = 1
	}
	pointwise := kh == 1 && kw == 1 && stride == 1 && padding == 0
	if g := bf16Driver(w); g != nil && (IsBF16(w) || !pointwise) {
		convBlocked(g, out, src, w, n, o, cv, beta)
		return dst
	}
	wt, release := weightF32(w)
	defer release()
	convIm2col(out, src, wt, n, o, cv, beta)
	return dst
}

// convFast runs the convolution on the blocked driver's fast paths when
// one fits (Winograd, or the weights read in place for small outputs),
// adding the bias; it reports whether it did.
func convFast(out, src []float32, w *Dense, bias []float32, n, o int, cv convGeom) bool {
	g, ok := DefaultGemm().(*blockedGemm)
	switch {
	case !ok:
		return false
	case winogradFits(g, w, cv):
		convWinograd(g, out, src, w, bias, n, o, cv) // adds the bias as it writes
	case !g.pairs && len(g.direct) > 0 && !IsBF16(w) && cv.ho*cv.wo <= convDirectPixels:
		convDirect(g, out, src, w, bias, n, o, cv)
	default:
		return false
	}
	return true
}

// convIm2col runs the convolution on the default GEMM through an im2col
// buffer (a plain product for 1×1 kernels), for GEMMs other than the
// blocked driver.
func convIm2col(out, src, wt []float32, n, o int, cv convGeom, beta float32) {
	c, h, wd, ho, wo := cv.c, cv.h, cv.w, cv.ho, cv.wo
	ckk, p := c*cv.kh*cv.kw, ho*wo
	if cv.kh == 1 && cv.kw == 1 && cv.stride == 1 && cv.pad == 0 {
		for i := 0; i < n; i++ {
			Sgemm(false, false, o, p, c, 1, wt, c, src[i*c*p:(i+1)*c*p], p, beta, out[i*o*p:(i+1)*o*p], p)
		}
		return
	}
	rowsPerTile := max(1, min(ho, maxColFloats/(ckk*wo)))
	colBuf := getScratch(ckk * rowsPerTile * wo)
	defer putScratch(colBuf)
	for i := 0; i < n; i++ {
		img := src[i*c*h*wd : (i+1)*c*h*wd]
		for oy0 := 0; oy0 < ho; oy0 += rowsPerTile {
			nrows := min(rowsPerTile, ho-oy0)
			tp := nrows * wo
			col := (*colBuf)[:ckk*tp]
			im2col(col, img, c, h, wd, cv.kh, cv.kw, cv.stride, cv.pad, oy0, nrows, wo)
			Sgemm(false, false, o, tp, ckk, 1, wt, ckk, col, tp, beta, out[i*o*p+oy0*wo:], p)
		}
	}
}

// fillBias sets every output plane of channel j to bias[j].
func fillBias(out, bias []float32, n, o, p int) {
	for i := 0; i < n*o; i++ {
		row := out[i*p : (i+1)*p]
		v := bias[i%o]
		for j := range row {
			row[j] = v
		}
	}
}

// convDirectPixels is the largest output plane for which the convolution
// reads its weights in place (weightRows) instead of packing them: with
// few output positions each weight is used too few times to repay
// writing and reading a packed copy. Measured up to 32×32: the UNet's
// stride-2 convolutions 10–40% faster, its 1×1 ones up to 25%.
const convDirectPixels = 1024

// convDirect computes out = conv(src, w) + bias for n images with the
// weights [O, C·kh·kw] read in place and the patches of each image packed
// (convB); the same bits as convBlocked.
func convDirect(g *blockedGemm, out, src []float32, w *Dense, bias []float32, n, o int, cv convGeom) {
	ws, release := weightSourceOf(w)
	defer release()
	ckk, p := cv.c*cv.kh*cv.kw, cv.ho*cv.wo
	nr, kc := g.nr, g.kcFor(ckk)
	bp := getScratch(g.packedSize(p, ckk))
	defer putScratch(bp)
	for i := 0; i < n; i++ {
		cb := convB{img: src[i*cv.c*cv.h*cv.w : (i+1)*cv.c*cv.h*cv.w], h: cv.h, w: cv.w, kh: cv.kh, kw: cv.kw, stride: cv.stride, pad: cv.pad, wo: cv.wo, nr: nr}
		parallelFor((ckk+kc-1)/kc, func(b int) {
			pc := b * kc
			cb.pack((*bp)[roundUp(p, nr)*pc:], pc, 0, min(kc, ckk-pc), p, 0, (p+nr-1)/nr)
		})
		res := out[i*o*p : (i+1)*o*p]
		weightRows(g, *bp, ws, o, p, ckk, startFromBias(bias, p), func(r0, r1 int, ct []float32, ldt int) {
			for r := r0; r < r1; r++ {
				copy(res[r*p:(r+1)*p], ct[(r-r0)*ldt:])
			}
		})
	}
}

// convGeom is the geometry of one convolution.
type convGeom struct {
	c, h, w, kh, kw, stride, pad, ho, wo int
}

// convBlocked runs the convolution on a blocked driver as an implicit
// GEMM: the weights are packed once for every image and column range (from
// float32 or bfloat16 storage) and the panels of the patch matrix are
// built straight from the image, with no im2col buffer.
func convBlocked(g *blockedGemm, out, src []float32, w *Dense, n, o int, cv convGeom, beta float32) {
	ckk := cv.c * cv.kh * cv.kw
	p := cv.ho * cv.wo
	abuf := getScratch(roundUp(o, g.mr) * g.depth(ckk))
	defer putScratch(abuf)
	if IsBF16(w) {
		g.prepackABF16(*abuf, o, ckk, BF16Bits(w), ckk)
	} else {
		wt, release := weightF32(w)
		g.prepackA(*abuf, false, o, ckk, 1, wt, ckk)
		release()
	}
	pointwise := cv.kh == 1 && cv.kw == 1 && cv.stride == 1 && cv.pad == 0
	threads := numWorkers()
	if 2*o*p*ckk < 1<<18 {
		threads = 1
	}
	for i := 0; i < n; i++ {
		img := src[i*cv.c*cv.h*cv.w : (i+1)*cv.c*cv.h*cv.w]
		res := out[i*o*p : (i+1)*o*p]
		if pointwise {
			g.run(threads, false, false, o, p, ckk, 1, nil, 0, *abuf, img, p, nil, nil, beta, res, p)
			continue
		}
		cb := convB{img: img, h: cv.h, w: cv.w, kh: cv.kh, kw: cv.kw, stride: cv.stride, pad: cv.pad, wo: cv.wo, nr: g.nr}
		g.run(threads, false, false, o, p, ckk, 1, nil, 0, *abuf, nil, 0, nil, cb.pack, beta, res, p)
	}
}

// convB is the patch matrix of one image seen as the B operand of the
// convolution GEMM: row r = (channel, ki, kj), column q = output position.
type convB struct {
	img                               []float32
	h, w, kh, kw, stride, pad, wo, nr int
}

// pack writes slivers [s0,s1) of rows [pc,pc+kb) and columns [jc,jc+nb) in
// packB's layout.
func (cb *convB) pack(dst []float32, pc, jc, kb, nb, s0, s1 int) {
	nr, h, w, wo, st := cb.nr, cb.h, cb.w, cb.wo, cb.stride
	// Decode each patch row (channel, ki, kj) once for all slivers.
	var tabBuf [3 * 256]int32
	tab := tabBuf[:]
	if 3*kb > len(tab) {
		tab = make([]int32, 3*kb)
	}
	for p := 0; p < kb; p++ {
		r := pc + p
		tab[3*p], tab[3*p+1], tab[3*p+2] = int32(r/(cb.kh*cb.kw)), int32((r/cb.kw)%cb.kh), int32(r%cb.kw)
	}
	for s := s0; s < s1; s++ {
		j0 := s * nr
		nn := min(nr, nb-j0)
		d := dst[s*nr*kb : (s+1)*nr*kb]
		oy0, ox0 := (jc+j0)/wo, (jc+j0)%wo
		// A whole sliver inside one output row, stride 1: each patch row is
		// nr consecutive input pixels, copied without a call where they
		// are all inside the image.
		oneRow := st == 1 && nn == nr && ox0+nr <= wo
		for p := 0; p < kb; p++ {
			ci, ki, kj := int(tab[3*p]), int(tab[3*p+1]), int(tab[3*p+2])
			plane := cb.img[ci*h*w : (ci+1)*h*w]
			row := d[p*nr : p*nr+nr]
			if oneRow {
				iy, ix0 := oy0-cb.pad+ki, ox0-cb.pad+kj
				if iy >= 0 && iy < h && ix0 >= 0 && ix0+nr <= w && copySliver(row, plane[iy*w+ix0:]) {
					continue
				}
			}
			oy, ox := oy0, ox0
			for t := 0; t < nn; {
				seg := min(nn-t, wo-ox)
				out := row[t : t+seg]
				iy := oy*st - cb.pad + ki
				if iy < 0 || iy >= h {
					clear(out)
				} else {
					src := plane[iy*w : (iy+1)*w]
					ix0 := ox*st - cb.pad + kj
					// Valid positions: 0 <= ix0 + u*st < w.
					lo := 0
					if ix0 < 0 {
						lo = min(seg, (-ix0+st-1)/st)
					}
					hi := seg
					if last := ix0 + (seg-1)*st; last >= w {
						hi = max(lo, (w-1-ix0)/st+1)
					}
					clear(out[:lo])
					clear(out[hi:])
					if st == 1 {
						copy(out[lo:hi], src[ix0+lo:ix0+hi])
					} else {
						for u, ix := lo, ix0+lo*st; u < hi; u, ix = u+1, ix+st {
							out[u] = src[ix]
						}
					}
				}
				t += seg
				oy, ox = oy+1, 0
			}
			clear(row[nn:])
		}
	}
}

// copySliver copies len(row) floats from src when len(row) is a sliver
// width it has a fixed-size copy for, reporting whether it did.
func copySliver(row, src []float32) bool {
	switch len(row) {
	case 16:
		*(*[16]float32)(row) = [16]float32(src[:16])
	case 32:
		*(*[32]float32)(row) = [32]float32(src[:32])
	case 12:
		*(*[12]float32)(row) = [12]float32(src[:12])
	default:
		return false
	}
	return true
}

// im2col fills col [C*kh*kw, nrows*wo] with the input patches for output
// rows [oy0, oy0+nrows).
func im2col(col, img []float32, c, h, w, kh, kw, stride, pad, oy0, nrows, wo int) {
	tp := nrows * wo
	parallelRange(c*kh*kw, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ci, ki, kj := r/(kh*kw), (r/kw)%kh, r%kw
			plane := img[ci*h*w : (ci+1)*h*w]
			dstRow := col[r*tp : (r+1)*tp]
			// Valid output columns: 0 <= ox*stride-pad+kj < w.
			oxLo := 0
			if pad > kj {
				oxLo = (pad - kj + stride - 1) / stride
			}
			oxHi := (w - 1 + pad - kj) / stride // inclusive
			if w-1+pad-kj < 0 {
				oxHi = -1
			}
			oxHi = min(oxHi, wo-1)
			for t := 0; t < nrows; t++ {
				d := dstRow[t*wo : (t+1)*wo]
				iy := (oy0+t)*stride - pad + ki
				if iy < 0 || iy >= h || oxHi < oxLo {
					clear(d)
					continue
				}
				srow := plane[iy*w : (iy+1)*w]
				clear(d[:oxLo])
				if oxHi+1 < wo {
					clear(d[oxHi+1:])
				}
				ix0 := oxLo*stride - pad + kj
				if stride == 1 {
					copy(d[oxLo:oxHi+1], srow[ix0:ix0+oxHi+1-oxLo])
				} else {
					for ox, ix := oxLo, ix0; ox <= oxHi; ox, ix = ox+1, ix+stride {
						d[ox] = srow[ix]
					}
				}
			}
		}
	})
}
