// Package tutorialtest holds what the tests of the tutorial programs share:
// a local server standing in for the image URLs.
package tutorialtest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Images served by ImageServer, with their sizes.
const (
	CatPath  = "/cat.png"  // 80x56, for image-to-image
	InitPath = "/init.png" // 64x64, for inpainting
	MaskPath = "/mask.png" // 64x64, white square in the middle
)

// ImageServer serves small generated PNGs at CatPath, InitPath and
// MaskPath, and returns its base URL. It stops when the test ends.
func ImageServer(t testing.TB) string {
	t.Helper()
	files := map[string][]byte{
		CatPath:  encode(t, gradient(80, 56)),
		InitPath: encode(t, gradient(64, 64)),
		MaskPath: encode(t, mask(64, 64)),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), uint8((x*y + 40) % 256), 255})
		}
	}
	return img
}

func mask(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := h / 4; y < 3*h/4; y++ {
		for x := w / 4; x < 3*w/4; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	return img
}

func encode(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Run calls a program's run function and returns what it printed.
func Run(t testing.TB, run func(context.Context, []string, io.Writer) error, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	t.Logf("%s", out.String())
	return out.String(), err
}
