package vae

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// TileOptions sets the tile geometry of tiled encode/decode, as diffusers'
// tile_sample_min_size, tile_latent_min_size and tile_overlap_factor.
type TileOptions struct {
	SampleMinSize int     // image-space tile side
	LatentMinSize int     // latent-space tile side
	OverlapFactor float64 // fraction of a tile shared with its neighbour
}

// defaultTileOptions follows diffusers: the tile is config.sample_size in
// image space and sample_size / 2^(len(block_out_channels)-1) in latent space,
// with a 0.25 overlap.
func defaultTileOptions(c Config) TileOptions {
	s := c.SampleSizeInt()
	return TileOptions{
		SampleMinSize: s,
		LatentMinSize: int(float64(s) / float64(c.DownFactor())),
		OverlapFactor: 0.25,
	}
}

// tileFunc maps one input tile [N,C,h,w] to its output tile.
type tileFunc func(ctx context.Context, tile *tensor.Dense) (*tensor.Dense, error)

// tiled runs f over overlapping tiles of x (side inTile, stride
// int(inTile*(1-overlap))), blends each tile with its upper and left
// neighbour over blend rows/columns and keeps the first rowLimit rows and
// columns of every tile, as diffusers' tiled_encode / tiled_decode.
// Only one row of output tiles plus the row above is kept alive at a time.
func tiled(ctx context.Context, x *tensor.Dense, inTile, blend, rowLimit int, overlap float64, f tileFunc) (*tensor.Dense, error) {
	sh := tensor.Shape(x)
	h, w := sh[2], sh[3]
	step := int(float64(inTile) * (1 - overlap))
	if step <= 0 || inTile <= 0 || rowLimit <= 0 {
		return nil, fmt.Errorf("vae: tile size %d with overlap %g gives no progress", inTile, overlap)
	}
	var (
		prevRow []*tensor.Dense
		pieces  [][]*tensor.Dense // cropped tiles, by row then column
	)
	for i := 0; i < h; i += step {
		var row []*tensor.Dense
		for j := 0; j < w; j += step {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			out, err := f(ctx, crop(x, i, min(i+inTile, h), j, min(j+inTile, w)))
			if err != nil {
				return nil, err
			}
			row = append(row, out)
		}
		pieces = append(pieces, blendRow(prevRow, row, blend, rowLimit))
		prevRow = row
	}
	return assemble(pieces, sh[0]), nil
}

// blendRow blends a row of output tiles in place with the row above (prev,
// nil for the first row) and with their left neighbours, row by row: the
// upper and left neighbours hold their already blended values, as in
// diffusers. It returns the tiles cropped to rowLimit rows and columns.
func blendRow(prev, row []*tensor.Dense, blend, rowLimit int) []*tensor.Dense {
	cropped := make([]*tensor.Dense, len(row))
	for j, t := range row {
		if prev != nil {
			blendV(prev[j], t, blend)
		}
		if j > 0 {
			blendH(row[j-1], t, blend)
		}
		ts := tensor.Shape(t)
		cropped[j] = crop(t, 0, min(rowLimit, ts[2]), 0, min(rowLimit, ts[3]))
	}
	return cropped
}

// assemble places the cropped tiles (by row then column, each [n, C, h, w])
// side by side in one tensor [n, C, sum of heights, sum of widths].
func assemble(pieces [][]*tensor.Dense, n int) *tensor.Dense {
	outH, outW, outC := 0, 0, 0
	for _, p := range pieces {
		outH += tensor.Shape(p[0])[2]
	}
	for _, p := range pieces[0] {
		s := tensor.Shape(p)
		outW += s[3]
		outC = s[1]
	}
	out := tensor.New(n, outC, outH, outW)
	od := tensor.F32(out)
	y0 := 0
	for _, prow := range pieces {
		x0 := 0
		for _, p := range prow {
			s := tensor.Shape(p)
			pd := tensor.F32(p)
			for bc := 0; bc < n*outC; bc++ {
				for y := 0; y < s[2]; y++ {
					copy(od[(bc*outH+y0+y)*outW+x0:], pd[(bc*s[2]+y)*s[3]:][:s[3]])
				}
			}
			x0 += s[3]
		}
		y0 += tensor.Shape(prow[0])[2]
	}
	return out
}

// crop copies x[:, :, y0:y1, x0:x1].
func crop(x *tensor.Dense, y0, y1, x0, x1 int) *tensor.Dense {
	sh := tensor.Shape(x)
	n, c, h, w := sh[0], sh[1], sh[2], sh[3]
	oh, ow := y1-y0, x1-x0
	out := tensor.New(n, c, oh, ow)
	od, xd := tensor.F32(out), tensor.F32(x)
	for p := 0; p < n*c; p++ {
		for y := 0; y < oh; y++ {
			copy(od[(p*oh+y)*ow:][:ow], xd[(p*h+y0+y)*w+x0:][:ow])
		}
	}
	return out
}

// blendV blends the last rows of a into the first rows of b (in place in b):
// b[y] = a[H_a-extent+y]*(1-y/extent) + b[y]*(y/extent).
func blendV(a, b *tensor.Dense, extent int) {
	as, bs := tensor.Shape(a), tensor.Shape(b)
	extent = min(as[2], bs[2], extent)
	blend(a, b, extent, min(as[3], bs[3]), band{start: as[2] - extent, step: as[3], line: 1}, band{step: bs[3], line: 1})
}

// blendH blends the last columns of a into the first columns of b (in place
// in b).
func blendH(a, b *tensor.Dense, extent int) {
	as, bs := tensor.Shape(a), tensor.Shape(b)
	extent = min(as[3], bs[3], extent)
	blend(a, b, extent, min(as[2], bs[2]), band{start: as[3] - extent, step: 1, line: as[3]}, band{step: 1, line: bs[3]})
}

// band locates the blended rows or columns of an [N, C, H, W] tensor:
// element e of the band (0 <= e < extent) on line l of a plane lies at
// (start+e)*step + l*line from the plane's start.
type band struct{ start, step, line int }

// blend sets b = a*(1-e/extent) + b*(e/extent) over the bands of a and b,
// lines values per band element and plane.
func blend(a, b *tensor.Dense, extent, lines int, ab, bb band) {
	if extent <= 0 {
		return
	}
	as, bs := tensor.Shape(a), tensor.Shape(b)
	ad, bd := tensor.F32(a), tensor.F32(b)
	planes, aPlane, bPlane := bs[0]*bs[1], as[2]*as[3], bs[2]*bs[3]
	for e := 0; e < extent; e++ {
		r := float64(e) / float64(extent)
		wa, wb := float32(1-r), float32(r)
		for p := 0; p < planes; p++ {
			ai := p*aPlane + (ab.start+e)*ab.step
			bi := p*bPlane + (bb.start+e)*bb.step
			for l := 0; l < lines; l++ {
				bd[bi+l*bb.line] = float32(ad[ai+l*ab.line]*wa) + float32(bd[bi+l*bb.line]*wb)
			}
		}
	}
}
