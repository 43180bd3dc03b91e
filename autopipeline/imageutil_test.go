package autopipeline

import (
	"context"
	"fmt"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

var goldenDir = testutil.Golden() + string(filepath.Separator)

type imageutilManifest struct {
	Thumbnails []struct {
		Src  string `json:"src"`
		Max  [2]int `json:"max"`
		Size [2]int `json:"size"`
		Name string `json:"name"`
	} `json:"thumbnails"`
	ThumbnailSizes [][6]int `json:"thumbnail_sizes"`
	PNGKinds       []string `json:"png_kinds"`
}

func readManifest(t *testing.T) imageutilManifest {
	t.Helper()
	var m imageutilManifest
	testutil.LoadJSON(t, goldenDir+"imageutil.json", &m)
	return m
}

func loadGolden(t *testing.T, name string) *image.NRGBA {
	t.Helper()
	img, err := LoadImage(context.Background(), goldenDir+"imageutil_"+name)
	require.NoError(t, err)
	return img.(*image.NRGBA)
}

func TestThumbnailSizeMatchesPIL(t *testing.T) {
	m := readManifest(t)
	require.NotEmpty(t, m.ThumbnailSizes)
	for _, c := range m.ThumbnailSizes {
		w, h := ThumbnailSize(c[0], c[1], c[2], c[3])
		require.Equal(t, [2]int{c[4], c[5]}, [2]int{w, h}, "%dx%d into %dx%d", c[0], c[1], c[2], c[3])
	}
}

func TestThumbnailMatchesPIL(t *testing.T) {
	m := readManifest(t)
	require.NotEmpty(t, m.Thumbnails)
	for _, c := range m.Thumbnails {
		t.Run(c.Name, func(t *testing.T) {
			src := loadGolden(t, "src_"+c.Src+".png")
			got, err := Thumbnail(src, c.Max[0], c.Max[1])
			require.NoError(t, err)
			require.Equal(t, c.Size, [2]int{got.Rect.Dx(), got.Rect.Dy()})
			testutil.RequireImagesWithin(t, loadGolden(t, c.Name+".png"), got, 0, "pixels differ from Pillow")
		})
	}
	src := loadGolden(t, "src_a.png")
	same, err := Thumbnail(src, 500, 500)
	require.NoError(t, err)
	testutil.RequireImagesWithin(t, src, same, 0, "an image that fits is unchanged")
	_, err = Thumbnail(src, 0, 10)
	require.Error(t, err)
}

func TestMakeImageGridMatchesDiffusers(t *testing.T) {
	var in []image.Image
	for i := 0; i < 6; i++ {
		in = append(in, loadGolden(t, fmt.Sprintf("grid_in%d.png", i)))
	}
	for _, c := range []struct {
		name       string
		imgs       []image.Image
		rows, cols int
	}{
		{"grid_2x3.png", in, 2, 3},
		{"grid_4x1.png", in[:4], 4, 1},
		{"grid_2x2.png", []image.Image{in[0], in[3], in[1], in[2]}, 2, 2},
	} {
		got, err := MakeImageGrid(c.imgs, c.rows, c.cols)
		require.NoError(t, err)
		testutil.RequireImagesWithin(t, loadGolden(t, c.name), got, 0, c.name)
	}
	_, err := MakeImageGrid(in, 2, 2)
	require.ErrorContains(t, err, "6 images for 2 rows x 2 cols")
	_, err = MakeImageGrid(nil, 0, 1)
	require.Error(t, err)
	_, err = MakeImageGrid([]image.Image{nil}, 1, 1)
	require.Error(t, err)
}

func TestLoadImageLocal(t *testing.T) {
	// JPEG decoders differ slightly (IDCT, colour conversion): flat
	// quadrants keep that within 2 levels here, while a wrong orientation
	// moves whole quadrants (differences near 200).
	for o := 1; o <= 8; o++ {
		got := loadGolden(t, fmt.Sprintf("exif%d.jpg", o))
		d := testutil.CompareImages(t, loadGolden(t, fmt.Sprintf("exif%d_want.png", o)), got)
		require.LessOrEqual(t, d.Max, 4, "orientation %d", o)
		require.Less(t, d.Mean, 0.5, "orientation %d", o)
	}
	for _, c := range [][2]string{{"rgba.png", "rgba_want.png"}, {"lossless.webp", "lossless_want.png"}} {
		testutil.RequireImagesWithin(t, loadGolden(t, c[1]), loadGolden(t, c[0]), 0, c[0])
	}
	for _, k := range readManifest(t).PNGKinds {
		testutil.RequireImagesWithin(t, loadGolden(t, "kind_"+k+"_want.png"), loadGolden(t, "kind_"+k+".png"), 0, k)
	}
	_, err := LoadImage(context.Background(), "no/such/file.png")
	require.ErrorContains(t, err, "neither an http(s) URL nor an existing file")
	_, err = LoadImage(context.Background(), goldenDir+"imageutil.json")
	require.ErrorContains(t, err, "not a PNG, JPEG, WebP or GIF image")
}

func TestJPEGOrientationBigEndian(t *testing.T) {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x02" +
		"\x01\x0f\x00\x02\x00\x00\x00\x04\x00\x00\x00\x00" + // Make, ignored
		"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00" + // Orientation = 6
		"\x00\x00\x00\x00")
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0, 0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	jpg = append(jpg, app1...)
	jpg = append(jpg, 0xFF, 0xDA, 0x00, 0x02)
	require.Equal(t, 6, jpegOrientation(jpg))
	require.Equal(t, 1, jpegOrientation(jpg[:20]), "truncated")
	bad := append([]byte(nil), jpg...)
	bad[len(bad)-11] = 9 // orientation 9 is invalid
	require.Equal(t, 1, jpegOrientation(bad))
}

func TestLoadImageHTTP(t *testing.T) {
	file := func(name string) []byte {
		b, err := os.ReadFile(goldenDir + "imageutil_" + name)
		require.NoError(t, err)
		return b
	}
	release := make(chan struct{})
	mux := http.NewServeMux()
	serve := func(path, ctype string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		})
	}
	serve("/rgba.png", "image/png", file("rgba.png"))
	serve("/exif6.jpg", "image/jpeg", file("exif6.jpg"))
	serve("/exif3.jpg", "application/octet-stream", file("exif3.jpg"))
	serve("/lossless.webp", "image/webp", file("lossless.webp"))
	serve("/page.png", "text/html; charset=utf-8", []byte("<html>Not found</html>"))
	serve("/garbage.png", "image/png", []byte("GIF-nope, not an image"))
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.(http.Flusher).Flush() // chunked: no Content-Length
		for i := 0; i < 5; i++ {
			w.Write(make([]byte, 1000))
		}
	})
	mux.HandleFunc("/big-cl.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", "5000")
		w.Write(make([]byte, 5000))
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)

	l := &ImageLoader{Timeout: 300 * time.Millisecond, MaxBytes: 4096}
	ctx := context.Background()
	for _, c := range [][2]string{{"rgba.png", "rgba_want.png"}, {"exif6.jpg", "exif6_want.png"},
		{"exif3.jpg", "exif3_want.png"}, {"lossless.webp", "lossless_want.png"}} {
		img, err := l.Load(ctx, srv.URL+"/"+c[0])
		require.NoError(t, err, c[0])
		d := testutil.CompareImages(t, loadGolden(t, c[1]), img.(*image.NRGBA))
		require.LessOrEqual(t, d.Max, 4, c[0])
		require.Less(t, d.Mean, 0.5, c[0])
	}

	for _, c := range []struct{ path, want string }{
		{"/missing.png", "HTTP status 404 Not Found"},
		{"/page.png", `sent "text/html; charset=utf-8", not an image`},
		{"/garbage.png", "not a PNG, JPEG, WebP or GIF image"},
		{"/big.png", "larger than the 4096-byte limit"},
		{"/big-cl.png", "5000 bytes is over the 4096-byte limit"},
	} {
		_, err := l.Load(ctx, srv.URL+c.path)
		require.ErrorContains(t, err, c.want, c.path)
		require.ErrorContains(t, err, srv.URL+c.path, "the error names the URL")
	}

	start := time.Now()
	_, err := l.Load(ctx, srv.URL+"/slow.png")
	require.Error(t, err)
	require.Contains(t, err.Error(), srv.URL+"/slow.png")
	require.Equal(t, 1, strings.Count(err.Error(), srv.URL), "the URL is named once: %v", err)
	require.ErrorContains(t, err, "no complete answer within 300ms")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = (&ImageLoader{}).Load(cctx, srv.URL+"/slow.png")
	require.ErrorIs(t, err, context.Canceled)

	_, err = LoadImage(ctx, srv.URL+"/big.png")
	require.ErrorContains(t, err, "not a PNG", "the default limit (50 MiB) lets 5000 bytes through")
}
