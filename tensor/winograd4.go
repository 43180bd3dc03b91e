package tensor

// Winograd F(4×4, 3×3), on the points 0, ±1, ±2 and ∞ (Lavin & Gray's
// matrices): each 4×4 block of output from a 6×6 block of input, 36
// products per channel pair instead of 144, 4× fewer multiply-adds than
// the direct product (F(2×2) does 2.25× fewer). The transforms carry
// factors up to 8 and fractions of 6 and 24, so the rounding error is
// about ten times F(2×2)'s (a few 1e-6 of the largest output in float32);
// it is taken for the large planes, where the products and the transforms'
// memory traffic (36 values per 16 outputs instead of 64) matter most.
//
//	Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//	G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]

// bt6 applies Bᵀ to z0..z5.
func bt6(z0, z1, z2, z3, z4, z5 float32) (o0, o1, o2, o3, o4, o5 float32) {
	t1, t2 := z4-4*z2, z3-4*z1
	t3, t4 := z4-z2, 2*(z3-z1)
	return 4*z0 - 5*z2 + z4, t1 + t2, t1 - t2, t3 + t4, t3 - t4, 4*z1 - 5*z3 + z5
}

// at6 applies Aᵀ to m0..m5.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b := m1+m2, m1-m2
	c, e := m3+m4, m3-m4
	return m0 + a + c, b + 2*e, a + 4*c, b + 8*e + m5
}

// g3 applies G to g0, g1, g2.
func g3(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	const sixth, twelfth, twentyfourth = 1.0 / 6, 1.0 / 12, 1.0 / 24
	return g0 * 0.25, -(g0 + g1 + g2) * sixth, -(g0 - g1 + g2) * sixth,
		g0*twentyfourth + g1*twelfth + g2*sixth, g0*twentyfourth - g1*twelfth + g2*sixth, g2
}

// winograd4Input writes V = Bᵀ d B for the tiles of every channel of img
// (channels c0… of lay) into v as 36 matrices s floats apart, where d is
// the 6×6 input block (zero outside the image): Bᵀ along each row of the
// block, then down each column. Where there is a vector version it takes
// the tiles eight side by side along a row; a group reaching outside the
// image, or shorter than eight at the row's end, reads a zero-padded copy
// of its strip.
func winograd4Input(v []float32, s int, lay vLayout, c0 int, img []float32, cv convGeom, tiles []tileSpan) {
	h, w := cv.h, cv.w
	var strip [6 * 34]float32 // six rows of the 34 columns eight tiles read
	var tmp [36 * 8]float32   // eight tiles' values that do not fit the sliver
	for ci := 0; ci < cv.c; ci++ {
		plane := img[ci*h*w : (ci+1)*h*w]
		cur := lay.cursor(c0 + ci)
		for ti := 0; ti < len(tiles); {
			if !wino4AVX2 {
				wino4InputTile(v[cur.at():], s, plane, h, w, tiles[ti])
				cur.next()
				ti++
				continue
			}
			sp, n := tiles[ti], rowRun(tiles, ti, 8)
			src, ld := plane[min(len(plane), max(0, int(sp.y)*w+int(sp.x))):], w
			if n < 8 || !sp.inside || !tiles[ti+7].inside {
				loadRect(strip[:], 6, 34, plane, h, w, int(sp.y), int(sp.x))
				src, ld = strip[:], 34
			}
			_ = src[5*ld+33]
			if cur.lane+8 <= cur.nr {
				// Lanes past the group's n tiles are written over by the
				// next tiles, or cleared by finish.
				o := v[cur.at():]
				_ = o[35*s+7]
				wino4InputAVX2(&src[0], ld, &o[0], s)
				cur.skip(n)
			} else {
				wino4InputAVX2(&src[0], ld, &tmp[0], 8)
				for k := range n {
					o := v[cur.at():]
					_ = o[35*s]
					for xi := range 36 {
						o[xi*s] = tmp[xi*8+k]
					}
					cur.next()
				}
			}
			ti += n
		}
		cur.finish(v, s, 36)
	}
}

// rowRun counts the tiles from ti on in ti's row, at most n.
func rowRun(tiles []tileSpan, ti, n int) int {
	k := 1
	for k < n && ti+k < len(tiles) && tiles[ti+k].y == tiles[ti].y {
		k++
	}
	return k
}

// wino4InputTile writes one tile's 36 values of V to o[ξ*s].
func wino4InputTile(o []float32, s int, plane []float32, h, w int, sp tileSpan) {
	var pad [36]float32
	var t [36]float32    // d B, row-major
	blk, ld := pad[:], 6 // six rows of six, ld apart
	if sp.inside {
		i := int(sp.y)*w + int(sp.x)
		blk, ld = plane[i:i+5*w+6], w
	} else {
		loadBlock(pad[:], 6, plane, h, w, int(sp.y), int(sp.x))
	}
	for r := 0; r < 6; r++ {
		q := blk[r*ld : r*ld+6 : r*ld+6]
		t[r*6], t[r*6+1], t[r*6+2], t[r*6+3], t[r*6+4], t[r*6+5] = bt6(q[0], q[1], q[2], q[3], q[4], q[5])
	}
	_ = o[35*s]
	for j := 0; j < 6; j++ {
		x := o[j*s:]
		x[0], x[6*s], x[12*s], x[18*s], x[24*s], x[30*s] = bt6(t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j])
	}
}

// winograd4Output writes Y = Aᵀ M A + bias of the tiles from the 36
// products m [ξ][O][len(tiles)] (s floats apart) into out [O,Ho,Wo].
func winograd4Output(out, m []float32, s, o int, cv convGeom, tiles []tileSpan, bias []float32) {
	ho, wo, nt := cv.ho, cv.wo, len(tiles)
	for oi := 0; oi < o; oi++ {
		plane, bv := outChannel(out, bias, oi, ho*wo)
		for ti := 0; ti < len(tiles); ti++ {
			sp := tiles[ti]
			yy, xx := int(sp.y)+1, int(sp.x)+1
			if wino4AVX2 && ti+8 <= len(tiles) && tiles[ti+7].y == sp.y && yy+4 <= ho && int(tiles[ti+7].x)+5 <= wo {
				x := m[oi*nt+ti:]
				_ = x[35*s+7]
				i := yy*wo + xx
				_ = plane[i+3*wo+31]
				wino4OutputAVX2(&x[0], s, &plane[i], wo, bv)
				ti += 7
				continue
			}
			wino4OutputTile(plane, m[oi*nt+ti:], s, ho, wo, yy, xx, bv)
		}
	}
}

// winograd4Kernels is winogradKernels for F(4×4, 3×3): U = G g Gᵀ, 36
// values a kernel.
func winograd4Kernels(dst []float32, panel, mr int, rows [][]float32, kb int) {
	var gg [18]float32 // G g, row-major 6×3
	for p := 0; p < kb; p++ {
		d := dst[p*mr:]
		_ = d[35*panel+mr-1]
		for i, r := range rows {
			k := r[p*9 : p*9+9 : p*9+9]
			for j := 0; j < 3; j++ {
				gg[j], gg[3+j], gg[6+j], gg[9+j], gg[12+j], gg[15+j] = g3(k[j], k[3+j], k[6+j])
			}
			for q := 0; q < 6; q++ {
				x := d[q*6*panel+i:]
				x[0], x[panel], x[2*panel], x[3*panel], x[4*panel], x[5*panel] = g3(gg[q*3], gg[q*3+1], gg[q*3+2])
			}
		}
		for i := len(rows); i < mr; i++ {
			for xi := 0; xi < 36; xi++ {
				d[xi*panel+i] = 0
			}
		}
	}
}

// wino4OutputTile writes one tile's 4×4 output block, plus bv, at (yy, xx)
// of plane (ho×wo, the parts inside it) from its 36 products x[ξ*s].
func wino4OutputTile(plane, x []float32, s, ho, wo, yy, xx int, bv float32) {
	var p [24]float32 // Aᵀ M, row-major 4×6
	var y [16]float32
	_ = x[35*s]
	for j := 0; j < 6; j++ {
		p[j], p[6+j], p[12+j], p[18+j] = at6(x[j*s], x[(6+j)*s], x[(12+j)*s], x[(18+j)*s], x[(24+j)*s], x[(30+j)*s])
	}
	for r := 0; r < 4; r++ {
		q := p[r*6 : r*6+6 : r*6+6]
		y0, y1, y2, y3 := at6(q[0], q[1], q[2], q[3], q[4], q[5])
		y[r*4], y[r*4+1], y[r*4+2], y[r*4+3] = y0+bv, y1+bv, y2+bv, y3+bv
	}
	if yy+4 <= ho && xx+4 <= wo { // the whole 4×4 block is inside
		for r := 0; r < 4; r++ {
			i := (yy+r)*wo + xx
			copy(plane[i:i+4:i+4], y[r*4:r*4+4])
		}
		return
	}
	for r := 0; r < 4 && yy+r < ho; r++ {
		for q := 0; q < 4 && xx+q < wo; q++ {
			plane[(yy+r)*wo+xx+q] = y[r*4+q]
		}
	}
}
