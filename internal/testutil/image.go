package testutil

import (
	"errors"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NRGBA returns img as *image.NRGBA with its origin at (0, 0): img itself
// when it already is one at the origin, a converted copy otherwise.
func NRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// ImageDiff is where two images of one size differ most.
type ImageDiff struct {
	Max     int         // the largest 8-bit channel difference, 0..255
	At      image.Point // the pixel holding it
	Channel int         // 0..3: R, G, B, A
	Mean    float64     // the mean absolute channel difference
}

// CompareImages stops the test unless got and want have the same size, and
// returns where their NRGBA channels differ most.
func CompareImages(tb testing.TB, want, got image.Image) ImageDiff {
	tb.Helper()
	w, g := NRGBA(want), NRGBA(got)
	var d ImageDiff
	if !assert.Equal(tb, w.Rect.Size(), g.Rect.Size(), "image size") {
		tb.FailNow()
		return ImageDiff{Max: 255}
	}
	sum, n := 0, 0
	for y := 0; y < w.Rect.Dy(); y++ {
		for x := 0; x < w.Rect.Dx(); x++ {
			i := w.PixOffset(x, y)
			for c := range 4 {
				v := int(g.Pix[i+c]) - int(w.Pix[i+c])
				v = max(v, -v)
				if v > d.Max {
					d = ImageDiff{Max: v, At: image.Pt(x, y), Channel: c}
				}
				sum += v
				n++
			}
		}
	}
	if n > 0 {
		d.Mean = float64(sum) / float64(n)
	}
	return d
}

// AssertImagesWithin reports a failure unless got and want have the same
// size and every 8-bit channel within n/255; the message names the worst
// pixel. It returns whether they agree.
func AssertImagesWithin(tb testing.TB, want, got image.Image, n int, msgAndArgs ...any) bool {
	tb.Helper()
	d := CompareImages(tb, want, got)
	return assert.LessOrEqualf(tb, d.Max, n, "channel %d at %v differs by %d/255 (mean %.3g/255) %s",
		d.Channel, d.At, d.Max, d.Mean, messageOf(msgAndArgs))
}

// RequireImagesWithin is AssertImagesWithin stopping the test on failure.
func RequireImagesWithin(tb testing.TB, want, got image.Image, n int, msgAndArgs ...any) {
	tb.Helper()
	if !AssertImagesWithin(tb, want, got, n, msgAndArgs...) {
		tb.FailNow()
	}
}

// WritePNG encodes img as dir/name and returns the path, failing the test
// on error.
func WritePNG(tb testing.TB, dir, name string, img image.Image) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(tb, err)
	err = png.Encode(f, img)
	require.NoError(tb, errors.Join(err, f.Close()), "%s", path)
	return path
}
