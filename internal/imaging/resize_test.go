package imaging

import (
	"image"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestResizeLanczosMatchesPillow(t *testing.T) {
	for _, name := range []string{"up_rgb", "down_rgb", "mixed_rgb", "down_l"} {
		t.Run(name, func(t *testing.T) {
			in := testutil.LoadPNG(t, testutil.Golden("resize_"+name+"_in.png"))
			want := testutil.LoadPNG(t, testutil.Golden("resize_"+name+"_out.png"))
			ch := 3
			var pix, wpix []uint8
			var w, h, ow, oh int
			if _, gray := in.(*image.Gray); gray {
				ch = 1
				pix, w, h = Gray8(in)
				wpix, ow, oh = Gray8(want)
			} else {
				pix, w, h = RGB8(in)
				wpix, ow, oh = RGB8(want)
			}
			got := Resize(Lanczos, pix, w, h, ch, ow, oh)
			require.Equal(t, len(wpix), len(got))
			diff := 0
			for i := range got {
				if got[i] != wpix[i] {
					diff++
				}
			}
			require.Zero(t, diff, "%d of %d bytes differ from Pillow", diff, len(got))
		})
	}
}
