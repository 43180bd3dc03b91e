package autopipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for LoadImage
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"mime"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/imaging"
	"github.com/goautopipe/diffusers/internal/panics"
	_ "golang.org/x/image/webp" // registered for LoadImage
)

// Defaults of ImageLoader.
const (
	DefaultImageTimeout  = 60 * time.Second
	DefaultMaxImageBytes = 50 << 20
	// DefaultMaxImagePixels is Pillow's decompression-bomb error threshold
	// (twice Image.MAX_IMAGE_PIXELS).
	DefaultMaxImagePixels = 2 * 89478485
)

// ImageLoader loads images from local files and http(s) URLs. The zero
// value uses the defaults above.
type ImageLoader struct {
	// Client makes the requests; nil means a client with a timeout.
	Client *http.Client
	// Timeout bounds a whole download (connection, headers and body).
	Timeout time.Duration
	// MaxBytes bounds the encoded size; MaxPixels the decoded width*height.
	MaxBytes  int64
	MaxPixels int64
}

// LoadImage loads an image as diffusers.utils.load_image does: a local
// path or an http(s) URL, EXIF orientation applied, converted to RGB. The
// result is an opaque *image.NRGBA. PNG, JPEG, WebP and GIF (its first
// frame) are decoded; the EXIF orientation is read from JPEG files only
// (PIL also reads it from PNG and WebP metadata, which cameras rarely
// write). A download is bounded by ctx, DefaultImageTimeout and
// DefaultMaxImageBytes; use an ImageLoader for other limits.
func LoadImage(ctx context.Context, pathOrURL string) (image.Image, error) {
	var l ImageLoader
	return l.Load(ctx, pathOrURL)
}

// Load loads one image; see LoadImage.
func (l *ImageLoader) Load(ctx context.Context, pathOrURL string) (image.Image, error) {
	var data []byte
	var err error
	if strings.HasPrefix(pathOrURL, "http://") || strings.HasPrefix(pathOrURL, "https://") {
		data, err = l.fetch(ctx, pathOrURL)
	} else {
		data, err = l.readFile(ctx, pathOrURL)
	}
	if err != nil {
		return nil, err
	}
	img, err := l.decode(data)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", pathOrURL, err)
	}
	return img, nil
}

func (l *ImageLoader) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxImageBytes
}

// readFile reads a regular file of at most maxBytes (a named pipe or a
// device is refused at once), giving up once ctx is done.
func (l *ImageLoader) readFile(ctx context.Context, path string) ([]byte, error) {
	f, err := config.OpenFile(ctx, path, l.maxBytes())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("load image: %s is neither an http(s) URL nor an existing file: %w", path, err)
		}
		return nil, fmt.Errorf("load image: %w", err)
	}
	defer f.Close()
	return readLimited(f, l.maxBytes(), path)
}

func (l *ImageLoader) fetch(ctx context.Context, url string) ([]byte, error) {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultImageTimeout
	}
	client := l.Client
	if client == nil {
		// The context's deadline governs; the client's is a backstop.
		client = &http.Client{Timeout: timeout + time.Second}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(err error) error {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named once, below
		}
		if parent.Err() == nil && ctx.Err() != nil {
			return fmt.Errorf("load image %s: no complete answer within %v: %w", url, timeout, err)
		}
		return fmt.Errorf("load image %s: %w", url, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fail(err)
	}
	req.Header.Set("Accept", "image/*")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("load image %s: HTTP status %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if !strings.HasPrefix(mt, "image/") && mt != "application/octet-stream" && mt != "binary/octet-stream" {
			return nil, fmt.Errorf("load image %s: the server sent %q, not an image", url, ct)
		}
	}
	limit := l.maxBytes()
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("load image %s: %d bytes is over the %s limit", url, resp.ContentLength, sizeText(limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fail(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("load image %s: larger than the %s limit", url, sizeText(limit))
	}
	return data, nil
}

func readLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("load image %s: larger than the %s limit", name, sizeText(limit))
	}
	return data, nil
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d-byte", n)
}

func (l *ImageLoader) decode(data []byte) (*image.NRGBA, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			head := data[:min(len(data), 8)]
			return nil, fmt.Errorf("not a PNG, JPEG, WebP or GIF image (starts with %q)", head)
		}
		return nil, err
	}
	maxPix := l.MaxPixels
	if maxPix <= 0 {
		maxPix = DefaultMaxImagePixels
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPix {
		return nil, fmt.Errorf("%dx%d pixels is over the %d-pixel limit", cfg.Width, cfg.Height, maxPix)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", format, err)
	}
	rgb, err := ToRGB(img)
	if err != nil {
		return nil, err
	}
	if format == "jpeg" {
		return Orient(rgb, jpegOrientation(data))
	}
	return rgb, nil
}

// ToRGB returns img as an opaque *image.NRGBA, as PIL's convert("RGB"):
// the alpha channel is dropped, not composited; 16-bit colour keeps its
// high byte; 16-bit grey (*image.Gray16) is clipped to 255 as Pillow does
// with mode I;16 (so a 16-bit grey PNG loads as diffusers loads it).
// A nil, empty, unbounded (image.Uniform) or malformed image, or one above
// DefaultMaxImagePixels, is an error wrapping ErrInvalidImage.
func ToRGB(img image.Image) (_ *image.NRGBA, err error) {
	if err := checkImage("to RGB", img); err != nil {
		return nil, err
	}
	defer panics.Recover(&err, "ToRGB")
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var c color.NRGBA
			switch m := img.(type) {
			case *image.NRGBA:
				c = m.NRGBAAt(x, y)
			case *image.Gray:
				g := m.GrayAt(x, y).Y
				c = color.NRGBA{g, g, g, 255}
			case *image.Gray16:
				// PIL opens 16-bit grey as mode I;16, whose conversion
				// clips to 255 instead of scaling.
				g := uint8(min(m.Gray16At(x, y).Y, 255))
				c = color.NRGBA{g, g, g, 255}
			default:
				c = color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			}
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.R, c.G, c.B, 255
			i += 4
		}
	}
	return out, nil
}

// jpegOrientation returns the EXIF orientation tag (1-8) of a JPEG
// stream, or 1 when it has none.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			if o := exifOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// exifOrientation reads tag 0x0112 of IFD0 of a TIFF block; 0 when absent
// or invalid.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		var v int
		switch bo.Uint16(t[e+2:]) { // type
		case 3: // SHORT
			v = int(bo.Uint16(t[e+8:]))
		case 4: // LONG
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

// Orient applies an EXIF orientation (1-8) as PIL's
// ImageOps.exif_transpose: 2 mirrors, 3 rotates 180°, 4 flips, 5
// transposes, 6 rotates 90° clockwise, 7 transverses, 8 rotates 90°
// counter-clockwise. Other values return img unchanged. A nil, empty or
// malformed image is an error wrapping ErrInvalidImage.
func Orient(img *image.NRGBA, orientation int) (*image.NRGBA, error) {
	if err := checkImage("orient", img); err != nil {
		return nil, err
	}
	if orientation < 2 || orientation > 8 {
		return img, nil
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	ow, oh := w, h
	if orientation >= 5 {
		ow, oh = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch orientation {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			copy(out.Pix[y*out.Stride+4*x:][:4], img.Pix[sy*img.Stride+4*sx:][:4])
		}
	}
	return out, nil
}

// ThumbnailSize is the size PIL's Image.thumbnail gives a w x h image
// bounded by maxW x maxH: the aspect ratio kept, each side rounded to the
// integer whose ratio is nearest the original, never enlarged, at least 1.
// With a non-positive argument it returns w, h unchanged.
func ThumbnailSize(w, h, maxW, maxH int) (int, int) {
	if (maxW >= w && maxH >= h) || w < 1 || h < 1 || maxW < 1 || maxH < 1 {
		return w, h
	}
	x, y := maxW, maxH
	aspect := float64(w) / float64(h)
	pick := func(v float64, key func(n int) float64) int {
		lo, hi := int(math.Floor(v)), int(math.Ceil(v))
		n := lo
		if key(hi) < key(lo) {
			n = hi
		}
		return max(n, 1)
	}
	if float64(x)/float64(y) >= aspect {
		x = pick(float64(y)*aspect, func(n int) float64 { return math.Abs(aspect - float64(n)/float64(y)) })
	} else {
		y = pick(float64(x)/aspect, func(n int) float64 {
			if n == 0 {
				return 0
			}
			return math.Abs(aspect - float64(x)/float64(n))
		})
	}
	return x, y
}

// Thumbnail returns img made to fit within maxW x maxH as PIL's
// Image.thumbnail((maxW, maxH)) does on an RGB image: the size from
// ThumbnailSize, bicubic resampling, and with reducing_gap 2.0 a first
// integer-factor box reduction (Image.reduce) when the image is at least
// four times larger. The result equals Pillow's bit for bit. The image
// is converted to RGB first (as the tutorials do before thumbnail); an
// image that already fits is returned converted but not resized.
func Thumbnail(img image.Image, maxW, maxH int) (_ *image.NRGBA, err error) {
	if maxW < 1 || maxH < 1 {
		return nil, fmt.Errorf("thumbnail: size %dx%d must be positive", maxW, maxH)
	}
	if err := checkImage("thumbnail", img); err != nil {
		return nil, err
	}
	defer panics.Recover(&err, "Thumbnail")
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("thumbnail: empty %dx%d image", w, h)
	}
	ow, oh := ThumbnailSize(w, h, maxW, maxH)
	pix, _, _ := imaging.RGB8(img)
	if ow == w && oh == h {
		return fromRGB8(pix, w, h), nil
	}
	const gap = 2.0
	fx := max(int(float64(w)/float64(ow)/gap), 1)
	fy := max(int(float64(h)/float64(oh)/gap), 1)
	if fx == 1 && fy == 1 {
		return fromRGB8(imaging.Resize(imaging.Bicubic, pix, w, h, 3, ow, oh), ow, oh), nil
	}
	rpix, rw, rh := imaging.Reduce(pix, w, h, 3, fx, fy)
	box := [4]float32{0, 0, float32(float64(w) / float64(fx)), float32(float64(h) / float64(fy))}
	return fromRGB8(imaging.ResizeBox(imaging.Bicubic, rpix, rw, rh, 3, box, ow, oh), ow, oh), nil
}

func fromRGB8(pix []uint8, w, h int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
	}
	return out
}

// MakeImageGrid pastes rows*cols images into one RGB image, row by row, as
// diffusers.utils.make_image_grid: every cell has the size of the first
// image; a smaller image leaves black, a larger one spills into the next
// cells (to be overwritten by the images pasted there) and is cropped at the
// grid's edge.
func MakeImageGrid(images []image.Image, rows, cols int) (*image.NRGBA, error) {
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("image grid: rows (%d) and cols (%d) must be positive", rows, cols)
	}
	if len(images) != rows*cols {
		return nil, fmt.Errorf("image grid: %d images for %d rows x %d cols (want %d)", len(images), rows, cols, rows*cols)
	}
	for i, im := range images {
		if err := checkImage(fmt.Sprintf("image grid: image %d", i), im); err != nil {
			return nil, err
		}
	}
	cw, ch := images[0].Bounds().Dx(), images[0].Bounds().Dy()
	if int64(cols)*int64(cw) > math.MaxInt32 || int64(rows)*int64(ch) > math.MaxInt32 ||
		int64(cols*cw)*int64(rows*ch) > DefaultMaxImagePixels {
		return nil, fmt.Errorf("image grid: %d x %d cells of %dx%d is above the %d-pixel limit: %w",
			rows, cols, cw, ch, DefaultMaxImagePixels, ErrInvalidImage)
	}
	grid := image.NewNRGBA(image.Rect(0, 0, cols*cw, rows*ch))
	for i := 3; i < len(grid.Pix); i += 4 {
		grid.Pix[i] = 255
	}
	for i, im := range images {
		rgb, err := ToRGB(im)
		if err != nil {
			return nil, fmt.Errorf("image grid: image %d: %w", i, err)
		}
		x0, y0 := i%cols*cw, i/cols*ch
		w, h := min(rgb.Rect.Dx(), cols*cw-x0), min(rgb.Rect.Dy(), rows*ch-y0)
		for y := 0; y < h; y++ {
			copy(grid.Pix[(y0+y)*grid.Stride+4*x0:][:4*w], rgb.Pix[y*rgb.Stride:][:4*w])
		}
	}
	return grid, nil
}
