package tensor

import "sync/atomic"

// Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2015): each 2×2 block of output is
// computed from a 4×4 block of input with 16 products per channel pair
// instead of 36, as 16 GEMMs of the transformed weights (O×C) by the
// transformed input tiles (C×tiles). For the 3×3, stride-1, padding-1
// convolutions that make up most of the autoencoders' and the UNet's work
// it does 2.25× fewer multiply-adds; the transforms are additions only
// (and halvings of the weights), so the result differs from the direct
// product by rounding alone (about 1e-6 relative in float32). Large planes
// take F(4×4, 3×3) instead (winograd4.go); both run through the drivers
// below, byTiles for large planes and byRows for small ones.

// winogradTiles is the number of output tiles one worker transforms and
// multiplies at a time on a large plane: a multiple of every micro-kernel
// width (16, 32, 12), small enough that one transformed-input matrix
// (C×winogradTiles) stays near the core.
const winogradTiles = 192

// winogradRowTiles is the largest plane (in tiles) taken a block of output
// channels at a time instead: its transformed input, shared by all
// workers, stays in the last-level cache, and each worker transforms only
// the weights of its own channels, so a layer's weights are read once
// however few tiles there are.
const winogradRowTiles = 320

// winogradBlockFloats bounds the transformed weights of one block of
// output channels on a small plane (4 MiB).
const winogradBlockFloats = 1 << 20

// winogradMinPixels is the smallest output plane taken. Below it (the
// UNet's 8×8 level at 512×512) the weight transform, 16 values for every
// 9, is not repaid: reading the weights in place (convDirect) is faster
// (1280 channels at 8×8: 11.3 ms against 13.2).
const winogradMinPixels = 128

// winogradSkew pads the stride between the 16 transformed matrices by a
// cache line: at a multiple of 4 KiB the 16 streams written (and read) side
// by side would all fall into one cache set.
const winogradSkew = 16

// useWinograd reports whether the convolution goes through convWinograd.
var useWinograd atomic.Bool

func init() { useWinograd.Store(true) }

// SetWinograd turns the Winograd path of Conv2D on (the default) or off and
// returns the previous setting. Off, every convolution is the direct
// product: for comparing the two, or to reproduce results bit for bit
// with the direct one.
func SetWinograd(on bool) bool { return useWinograd.Swap(on) }

func winogradFits(g *blockedGemm, w *Dense, cv convGeom) bool {
	return useWinograd.Load() && !g.pairs && !IsBF16(w) && cv.kh == 3 && cv.kw == 3 && cv.stride == 1 && cv.pad == 1 &&
		cv.c >= 16 && cv.ho*cv.wo >= winogradMinPixels
}

// winograd is one Winograd convolution: n images of cv through the weights
// wt [O,C,3,3] on the blocked driver g.
type winograd struct {
	g      *blockedGemm
	a      *winoAlgo
	cv     convGeom
	n, o   int
	wt     weightSource // [O,C,3,3]
	bias   []float32
	tw, nt int // tiles across a row, and in a plane
}

// winoAlgo is one Winograd algorithm F(m×m, 3×3): m×m blocks of output
// from (m+2)×(m+2) blocks of input, through (m+2)² products.
type winoAlgo struct {
	m, alpha int
	// input writes the transformed input tiles of the cv.c channels of
	// img, channels c0… of lay, as alpha² matrices s floats apart.
	input func(v []float32, s int, lay vLayout, c0 int, img []float32, cv convGeom, tiles []tileSpan)
	// output writes the output blocks of o channels, plus bias, from the
	// alpha² products m [ξ][O][len(tiles)] s floats apart.
	output func(out, m []float32, s, o int, cv convGeom, tiles []tileSpan, bias []float32)
	// kernels transforms kernel p < kb of every row, writing its alpha²
	// values at dst[ξ*panel + p*mr + row]; rows past len(rows) are zero.
	kernels func(dst []float32, panel, mr int, rows [][]float32, kb int)
}

// xis is the number of products (and transformed matrices).
func (a *winoAlgo) xis() int { return a.alpha * a.alpha }

var (
	winograd2 = &winoAlgo{m: 2, alpha: 4, input: winogradInput, output: winogradOutput, kernels: winogradKernels}
	winograd4 = &winoAlgo{m: 4, alpha: 6, input: winograd4Input, output: winograd4Output, kernels: winograd4Kernels}
)

// useWinograd4 reports whether large planes take F(4×4, 3×3).
var useWinograd4 atomic.Bool

func init() { useWinograd4.Store(true) }

// convWinograd computes out = conv(src, w) + bias (bias may be nil) for n
// images on the blocked driver g.
func convWinograd(g *blockedGemm, out, src []float32, w *Dense, bias []float32, n, o int, cv convGeom) {
	wg := &winograd{g: g, a: winograd2, cv: cv, n: n, o: o, bias: bias}
	if IsHalf(w) {
		// Widened a sliver at a time as the weights are transformed.
		wg.wt.half, wg.wt.widen = HalfBits(w), halfConverter()
	} else {
		wt, release := weightF32(w)
		defer release()
		wg.wt.f32 = wt
	}
	wg.tiles()
	if wg.nt <= winogradRowTiles {
		for i := 0; i < n; i++ {
			wg.byRows(out[i*o*cv.ho*cv.wo:(i+1)*o*cv.ho*cv.wo], src[i*cv.c*cv.h*cv.w:(i+1)*cv.c*cv.h*cv.w])
		}
		return
	}
	if useWinograd4.Load() {
		wg.a = winograd4
		wg.tiles()
	}
	wg.byTiles(out, src)
}

// tiles sets the tile counts for wg's algorithm.
func (wg *winograd) tiles() {
	m := wg.a.m
	wg.tw = (wg.cv.wo + m - 1) / m
	wg.nt = wg.tw * ((wg.cv.ho + m - 1) / m)
}

// panel is the length of one packed transformed weight matrix of m rows.
func (wg *winograd) panel(m int) int { return roundUp(m, wg.g.mr)*wg.g.depth(wg.cv.c) + winogradSkew }

// byTiles transforms all the weights once, then gives each worker chunks
// of tiles: input transform, products and output transform of a chunk run
// back to back while it is in cache.
func (wg *winograd) byTiles(out, src []float32) {
	g, a, cv, o, c := wg.g, wg.a, wg.cv, wg.o, wg.cv.c
	xis := a.xis()
	panel := wg.panel(o)
	pre := getScratch(xis * panel)
	defer putScratch(pre)
	slivers := (o + g.mr - 1) / g.mr
	chunks := min(slivers, 4*numWorkers())
	parallelFor(chunks, func(ci int) {
		wg.packWeights(*pre, panel, 0, o, ci*slivers/chunks, (ci+1)*slivers/chunks)
	})
	// Equal chunks, as many as the workers or a multiple, so that none
	// is left with a short last one.
	chunks = (wg.nt + winogradTiles - 1) / winogradTiles
	if w := numWorkers(); wg.n*chunks%w != 0 && wg.nt >= 16*w {
		chunks = roundUp(wg.n*chunks, w) / wg.n
	}
	per := roundUp((wg.nt+chunks-1)/chunks, 4)
	chunks = (wg.nt + per - 1) / per
	parallelFor(wg.n*chunks, func(job int) {
		i, t0 := job/chunks, job%chunks*per
		nt := min(per, wg.nt-t0)
		lay := wg.layout(nt)
		vs, ms := g.packedSize(nt, c)+winogradSkew, o*nt+winogradSkew
		v := getScratch(xis * vs)
		m := getScratch(xis * ms)
		defer putScratch(v)
		defer putScratch(m)
		var spans [winogradTiles]tileSpan
		tiles := spans[:nt]
		tileSpans(tiles, cv, a, wg.tw, t0)
		a.input(*v, vs, lay, 0, src[i*c*cv.h*cv.w:(i+1)*c*cv.h*cv.w], cv, tiles)
		for xi := 0; xi < xis; xi++ {
			g.run(1, false, false, o, nt, c, 1, nil, 0, (*pre)[xi*panel:(xi+1)*panel],
				nil, 0, (*v)[xi*vs:(xi+1)*vs], nil, 0, (*m)[xi*ms:xi*ms+o*nt], nt)
		}
		a.output(out[i*o*cv.ho*cv.wo:(i+1)*o*cv.ho*cv.wo], *m, ms, o, cv, tiles, wg.bias)
	})
}

// byRows runs one image of a small plane: the input of every tile is
// transformed and packed once (by all workers), then each worker takes
// blocks of output channels, transforming just their weights, and runs
// their products and output transform.
func (wg *winograd) byRows(out, img []float32) {
	g, a, cv, o, c, nt := wg.g, wg.a, wg.cv, wg.o, wg.cv.c, wg.nt
	xis := a.xis()
	tiles := make([]tileSpan, nt)
	tileSpans(tiles, cv, a, wg.tw, 0)
	lay := wg.layout(nt)
	bs := g.packedSize(nt, c) + winogradSkew
	vp := getScratch(xis * bs)
	defer putScratch(vp)
	chunks := min(c, 4*numWorkers())
	parallelFor(chunks, func(ci int) {
		c0, c1 := ci*c/chunks, (ci+1)*c/chunks
		sub := cv
		sub.c = c1 - c0
		a.input(*vp, bs, lay, c0, img[c0*cv.h*cv.w:c1*cv.h*cv.w], sub, tiles)
	})
	// Blocks of whole slivers, at least four per worker, few enough rows
	// that a block's transformed weights stay in the last-level cache
	// between their writing and the products reading them.
	slivers := (o + g.mr - 1) / g.mr
	per := max(1, winogradBlockFloats/(xis*c*g.mr))
	blocks := max(min(slivers, 4*numWorkers()), (slivers+per-1)/per)
	parallelFor(blocks, func(bi int) {
		s0, s1 := bi*slivers/blocks, (bi+1)*slivers/blocks
		o0, o1 := s0*g.mr, min(s1*g.mr, o)
		mb := o1 - o0
		panel := wg.panel(mb)
		u := getScratch(xis * panel)
		defer putScratch(u)
		wg.packWeights(*u, panel, o0, mb, 0, s1-s0)
		ms := mb*nt + winogradSkew
		m := getScratch(xis * ms)
		defer putScratch(m)
		for xi := 0; xi < xis; xi++ {
			g.run(1, false, false, mb, nt, c, 1, nil, 0, (*u)[xi*panel:(xi+1)*panel],
				nil, 0, (*vp)[xi*bs:(xi+1)*bs], nil, 0, (*m)[xi*ms:xi*ms+mb*nt], nt)
		}
		var bias []float32
		if wg.bias != nil {
			bias = wg.bias[o0:o1]
		}
		a.output(out[o0*cv.ho*cv.wo:o1*cv.ho*cv.wo], *m, ms, mb, cv, tiles, bias)
	})
}

// vLayout places the transformed input of channel ci, tile t as
// prepackB packs a C×tiles matrix for the GEMM: K blocks of kc channels,
// each a run of slivers of nr tiles (zero past the last tile), so the
// products read it without packing.
type vLayout struct{ nr, kc, c, ntp int }

// layout is the vLayout of nt tiles.
func (wg *winograd) layout(nt int) vLayout {
	return vLayout{nr: wg.g.nr, kc: wg.g.kcFor(wg.cv.c), c: wg.cv.c, ntp: roundUp(nt, wg.g.nr)}
}

// vCursor walks the tiles of one channel in a vLayout.
type vCursor struct{ base, lane, nr, sliver int }

// cursor starts at tile 0 of channel ci.
func (l vLayout) cursor(ci int) vCursor {
	pc := ci / l.kc * l.kc
	return vCursor{base: pc*l.ntp + (ci-pc)*l.nr, nr: l.nr, sliver: l.nr * min(l.kc, l.c-pc)}
}

// at is the offset of the current tile.
func (c *vCursor) at() int { return c.base + c.lane }

// next moves to the following tile.
func (c *vCursor) next() { c.skip(1) }

// skip moves n tiles on, within the current sliver (lane+n ≤ nr).
func (c *vCursor) skip(n int) {
	if c.lane += n; c.lane == c.nr {
		c.lane, c.base = 0, c.base+c.sliver
	}
}

// finish zeroes the lanes past the last tile in all xis matrices.
func (c *vCursor) finish(v []float32, s, xis int) {
	if c.lane == 0 {
		return
	}
	for xi := 0; xi < xis; xi++ {
		clear(v[xi*s+c.base+c.lane : xi*s+c.base+c.nr])
	}
}

// packWeights writes U = G g Gᵀ for every 3×3 kernel g of the weights into
// dst as 16 matrices panel floats apart, each packed as prepackA packs an
// m×C matrix of rows m0… of the weights for g's micro-kernel, with
// G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]. It fills slivers [s0, s1) (g.mr rows
// each; rows past m are zero), so workers can share a matrix.
func (wg *winograd) packWeights(dst []float32, panel, m0, m, s0, s1 int) {
	mr, c := wg.g.mr, wg.cv.c
	kc := wg.g.kcFor(c)
	mp := roundUp(m, mr)
	var rows [16][]float32 // the sliver's kernels in this K block, 9 values each
	var buf []float32
	if wg.wt.half != nil {
		b := getScratch(mr * kc * 9)
		defer putScratch(b)
		buf = *b
	}
	for s := s0; s < s1; s++ {
		mm := min(mr, m-s*mr)
		for pc := 0; pc < c; pc += kc {
			kb := min(kc, c-pc)
			base := pc*mp + s*mr*kb
			for i := 0; i < mm; i++ {
				row := m0 + s*mr + i
				lo, hi := (row*c+pc)*9, (row*c+pc+kb)*9
				if buf == nil {
					rows[i] = wg.wt.f32[lo:hi]
					continue
				}
				rows[i] = buf[i*kc*9 : i*kc*9+hi-lo]
				wg.wt.widen(rows[i], wg.wt.half[lo:hi])
			}
			wg.a.kernels(dst[base:], panel, mr, rows[:mm], kb)
		}
	}
}

// winogradKernels transforms kernel p of every row in rows (9 values
// each) for p < kb, writing its 16 values at dst[ξ*panel + p*mr + row],
// column after column of the sliver so each of the 16 matrices is written
// in order; rows past len(rows) are zero.
func winogradKernels(dst []float32, panel, mr int, rows [][]float32, kb int) {
	for p := 0; p < kb; p++ {
		d := dst[p*mr:]
		_ = d[15*panel+mr-1]
		for i, r := range rows {
			k := r[p*9 : p*9+9 : p*9+9]
			// G g, column by column: rows 0..3 of column j are aj, bj, cj, ej.
			a0, b0, c0, e0 := k[0], (k[0]+k[3]+k[6])*0.5, (k[0]-k[3]+k[6])*0.5, k[6]
			a1, b1, c1, e1 := k[1], (k[1]+k[4]+k[7])*0.5, (k[1]-k[4]+k[7])*0.5, k[7]
			a2, b2, c2, e2 := k[2], (k[2]+k[5]+k[8])*0.5, (k[2]-k[5]+k[8])*0.5, k[8]
			// (G g) Gᵀ, row by row.
			d[i], d[panel+i], d[2*panel+i], d[3*panel+i] = a0, (a0+a1+a2)*0.5, (a0-a1+a2)*0.5, a2
			d[4*panel+i], d[5*panel+i], d[6*panel+i], d[7*panel+i] = b0, (b0+b1+b2)*0.5, (b0-b1+b2)*0.5, b2
			d[8*panel+i], d[9*panel+i], d[10*panel+i], d[11*panel+i] = c0, (c0+c1+c2)*0.5, (c0-c1+c2)*0.5, c2
			d[12*panel+i], d[13*panel+i], d[14*panel+i], d[15*panel+i] = e0, (e0+e1+e2)*0.5, (e0-e1+e2)*0.5, e2
		}
		for i := len(rows); i < mr; i++ {
			for xi := 0; xi < 16; xi++ {
				d[xi*panel+i] = 0
			}
		}
	}
}

// tileSpan is one tile's top-left corner: y, x of its input block (one
// above and left of its output block) and whether the block lies wholly
// inside the image.
type tileSpan struct {
	y, x   int32
	inside bool
}

// tileSpans lists tiles [t0, t0+nt) of a plane tw tiles wide.
func tileSpans(dst []tileSpan, cv convGeom, a *winoAlgo, tw, t0 int) {
	m, al := a.m, a.alpha
	for t := range dst {
		y, x := m*((t0+t)/tw)-1, m*((t0+t)%tw)-1
		dst[t] = tileSpan{int32(y), int32(x), y >= 0 && x >= 0 && y+al <= cv.h && x+al <= cv.w}
	}
}

// winogradInput writes V = Bᵀ d B for the tiles of every channel of img
// (channels c0… of lay) into v as 16 matrices s floats apart, where d is
// the 4×4 input block (zero outside the image) and Bᵀ = [1 0 -1 0;
// 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. The block lives in scalars: Go keeps
// arrays in memory.
func winogradInput(v []float32, s int, lay vLayout, c0 int, img []float32, cv convGeom, tiles []tileSpan) {
	h, w := cv.h, cv.w
	var d [16]float32
	for ci := 0; ci < cv.c; ci++ {
		plane := img[ci*h*w : (ci+1)*h*w]
		cur := lay.cursor(c0 + ci)
		for _, sp := range tiles {
			var r0, r1, r2, r3 []float32
			if sp.inside {
				i := int(sp.y)*w + int(sp.x)
				r0, r1, r2, r3 = plane[i:i+4:i+4], plane[i+w:i+w+4:i+w+4], plane[i+2*w:i+2*w+4:i+2*w+4], plane[i+3*w:i+3*w+4:i+3*w+4]
			} else {
				d = [16]float32{}
				loadBlock(d[:], 4, plane, h, w, int(sp.y), int(sp.x))
				r0, r1, r2, r3 = d[0:4], d[4:8], d[8:12], d[12:16]
			}
			// Bᵀ d, one column at a time.
			a0, a1, a2, a3 := r0[0]-r2[0], r1[0]+r2[0], r2[0]-r1[0], r1[0]-r3[0]
			b0, b1, b2, b3 := r0[1]-r2[1], r1[1]+r2[1], r2[1]-r1[1], r1[1]-r3[1]
			c0, c1, c2, c3 := r0[2]-r2[2], r1[2]+r2[2], r2[2]-r1[2], r1[2]-r3[2]
			e0, e1, e2, e3 := r0[3]-r2[3], r1[3]+r2[3], r2[3]-r1[3], r1[3]-r3[3]
			// (Bᵀ d) B, row by row: columns a, b, c, e.
			o := v[cur.at():]
			_ = o[15*s]
			o[0], o[s], o[2*s], o[3*s] = a0-c0, b0+c0, c0-b0, b0-e0
			o[4*s], o[5*s], o[6*s], o[7*s] = a1-c1, b1+c1, c1-b1, b1-e1
			o[8*s], o[9*s], o[10*s], o[11*s] = a2-c2, b2+c2, c2-b2, b2-e2
			o[12*s], o[13*s], o[14*s], o[15*s] = a3-c3, b3+c3, c3-b3, b3-e3
			cur.next()
		}
		cur.finish(v, s, 16)
	}
}

// loadBlock copies the n×n block of plane at (y0, x0) into d (row-major),
// zero outside the plane.
func loadBlock(d []float32, n int, plane []float32, h, w, y0, x0 int) {
	loadRect(d, n, n, plane, h, w, y0, x0)
}

// loadRect is loadBlock for rows×cols values (cols apart in d): every one
// of them is written.
func loadRect(d []float32, rows, cols int, plane []float32, h, w, y0, x0 int) {
	q0, q1 := min(cols, max(0, -x0)), max(0, min(cols, w-x0))
	for r := 0; r < rows; r++ {
		row := d[r*cols : (r+1)*cols]
		y := y0 + r
		if y < 0 || y >= h || q0 >= q1 {
			clear(row)
			continue
		}
		clear(row[:q0])
		copy(row[q0:q1], plane[y*w+x0+q0:y*w+x0+q1])
		clear(row[q1:])
	}
}

// winogradOutput writes Y = Aᵀ M A + bias of the tiles from the 16
// products m [ξ][O][len(tiles)] (s floats apart) into out [O,Ho,Wo], with
// Aᵀ = [1 1 1 0; 0 1 -1 -1].
func winogradOutput(out, m []float32, s, o int, cv convGeom, tiles []tileSpan, bias []float32) {
	ho, wo, nt := cv.ho, cv.wo, len(tiles)
	for oi := 0; oi < o; oi++ {
		plane, bv := outChannel(out, bias, oi, ho*wo)
		for t, sp := range tiles {
			x := m[oi*nt+t:]
			_ = x[15*s]
			// Aᵀ M: two rows of four.
			p0 := x[0] + x[4*s] + x[8*s]
			p1 := x[s] + x[5*s] + x[9*s]
			p2 := x[2*s] + x[6*s] + x[10*s]
			p3 := x[3*s] + x[7*s] + x[11*s]
			q0 := x[4*s] - x[8*s] - x[12*s]
			q1 := x[5*s] - x[9*s] - x[13*s]
			q2 := x[6*s] - x[10*s] - x[14*s]
			q3 := x[7*s] - x[11*s] - x[15*s]
			y00, y01 := p0+p1+p2+bv, p1-p2-p3+bv
			y10, y11 := q0+q1+q2+bv, q1-q2-q3+bv
			y, xo := int(sp.y)+1, int(sp.x)+1
			if y+1 < ho && xo+1 < wo { // the whole 2×2 block is inside
				i := y*wo + xo
				r0, r1 := plane[i:i+2:i+2], plane[i+wo:i+wo+2:i+wo+2]
				r0[0], r0[1], r1[0], r1[1] = y00, y01, y10, y11
				continue
			}
			putEdge(plane, ho, wo, y, xo, [4]float32{y00, y01, y10, y11})
		}
	}
}

// outChannel is output plane oi (p values) of out and its bias (0 with
// none).
func outChannel(out, bias []float32, oi, p int) ([]float32, float32) {
	var bv float32
	if bias != nil {
		bv = bias[oi]
	}
	return out[oi*p : (oi+1)*p], bv
}

// putEdge writes the parts of a 2×2 output block at (y, x) that are inside
// the ho×wo plane.
func putEdge(plane []float32, ho, wo, y, x int, blk [4]float32) {
	for i := 0; i < 4; i++ {
		yy, xx := y+i/2, x+i%2
		if yy >= ho || xx >= wo {
			continue
		}
		plane[yy*wo+xx] = blk[i]
	}
}
