package limits

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// ErrTooLarge is wrapped by the error of a request whose estimated memory
// is above Limits.MaxBytes.
var ErrTooLarge = errors.New("request too large for the available memory")

// Limits are the operator-tunable bounds on one call. A zero field takes
// the value of Default.
type Limits struct {
	MaxImages      int   // images per call (prompts x images per prompt)
	MaxSide        int   // width or height of an image, in pixels
	MaxPixels      int64 // width x height of one image
	MaxSteps       int   // inference steps
	MaxPromptBytes int   // bytes of one prompt
	// MaxBytes caps the estimated memory of a call (see Estimate).
	// Default: the Go memory limit when one is set (debug.SetMemoryLimit,
	// GOMEMLIMIT), otherwise the machine's (or the cgroup's) memory.
	MaxBytes int64
}

// Default returns the default limits: far above what diffusers' pipelines
// are used with, and MaxBytes from the memory available to the process.
func Default() Limits {
	return Limits{
		MaxImages:      256,
		MaxSide:        16384,
		MaxPixels:      1 << 26, // 64 megapixels, e.g. 8192x8192
		MaxSteps:       10000,
		MaxPromptBytes: 1 << 20,
		MaxBytes:       AvailableMemory(),
	}
}

// Fill returns l with its zero fields set from Default.
func (l Limits) Fill() Limits {
	d := Default()
	if l.MaxImages <= 0 {
		l.MaxImages = d.MaxImages
	}
	if l.MaxSide <= 0 {
		l.MaxSide = d.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = d.MaxSteps
	}
	if l.MaxPromptBytes <= 0 {
		l.MaxPromptBytes = d.MaxPromptBytes
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	return l
}

// Shape is what of the loaded models sizes a call's memory.
type Shape struct {
	LatentChannels int   // UNet in_channels / VAE latent_channels
	VAEScale       int   // image side / latent side (8 for Stable Diffusion)
	UNetChannels   []int // UNet block_out_channels
	VAEChannels    []int // VAE block_out_channels
	TextTokens     int   // tokens per prompt (model_max_length)
	TextHidden     int   // text encoder hidden size (summed over encoders)
	// VAETile is the side in pixels of the tiles the VAE decodes one at a
	// time when tiling is on (0: the whole image at once).
	VAETile int
}

// Request is what of a call sizes its memory.
type Request struct {
	Images        int  // total images (prompts x images per prompt)
	Width, Height int  // pixels
	Steps         int  // inference steps
	Guidance      bool // classifier-free guidance doubles the UNet batch
	PromptBytes   int  // the longest prompt, in bytes
}

// Check refuses a request outside the limits or whose Estimate is above
// MaxBytes; the error names the request field to change.
func (l Limits) Check(s Shape, r Request) error {
	l = l.Fill()
	err := First(
		Int("NumImagesPerPrompt (images per call)", r.Images, 1, l.MaxImages),
		Int("Width", r.Width, 1, l.MaxSide),
		Int("Height", r.Height, 1, l.MaxSide),
		Int("NumInferenceSteps", r.Steps, 0, l.MaxSteps),
		Int("Prompt (bytes)", r.PromptBytes, 0, l.MaxPromptBytes),
	)
	if err != nil {
		return err
	}
	if px := int64(r.Width) * int64(r.Height); px > l.MaxPixels {
		return fmt.Errorf("Width x Height: %dx%d is %d pixels, above the limit of %d: %w", r.Width, r.Height, px, l.MaxPixels, ErrOutOfRange)
	}
	if need := Estimate(s, r); need > l.MaxBytes {
		return fmt.Errorf("%d image(s) of %dx%d need an estimated %s (latents, UNet and VAE activations, images), above the %s available: lower NumImagesPerPrompt, Width or Height: %w",
			r.Images, r.Width, r.Height, human(need), human(l.MaxBytes), ErrTooLarge)
	}
	return nil
}

// Activation multipliers of Estimate: how many tensors of a level's size
// are alive at the peak of a UNet or VAE pass (block inputs kept for the
// skip connections, the residual branch, the attention projections and
// the feed-forward inner layer, four times as wide), with the garbage
// collector's headroom. They are calibrated with tools/memcheck, which
// prints the estimate beside the peak resident memory a generation adds
// (1.0 to 1.25 times it on the tiny checkpoints with the default GOGC);
// they are not exact counts.
const (
	unetLive = 24
	vaeLive  = 8
	f32      = 4
)

// Estimate returns the bytes a call will hold at its peak: the UNet pass
// over the (guidance-doubled) latents batch, or the VAE decode of every
// image, whichever is larger, plus the latents and the decoded images. It
// saturates at math.MaxInt64 instead of overflowing.
func Estimate(s Shape, r Request) int64 {
	scale := max(s.VAEScale, 1)
	lat := sat(int64(max(r.Width/scale, 1)), int64(max(r.Height/scale, 1)))
	px := sat(int64(r.Width), int64(r.Height))
	batch := int64(r.Images)
	if r.Guidance {
		batch = sat(batch, 2)
	}
	unet := sat(sat(batch, pyramid(s.UNetChannels, lat)), unetLive*f32)
	vaePx := px
	if t := int64(s.VAETile); t > 0 && sat(t, t) < px {
		vaePx = sat(t, t)
	}
	vae := sat(sat(int64(r.Images), pyramid(s.VAEChannels, vaePx)), vaeLive*f32)
	latents := sat(sat(batch, sat(lat, int64(max(s.LatentChannels, 1)))), 8*f32)
	text := sat(sat(batch, int64(s.TextTokens)), sat(int64(s.TextHidden), 8*f32))
	images := sat(sat(int64(r.Images), px), 4*f32)
	return add(add(max(unet, vae), latents), add(text, images))
}

// pyramid is sum_i channels[i] * elems / 4^i: the elements of one tensor
// per level of a UNet or VAE whose level i is 2^i times smaller per side.
func pyramid(channels []int, elems int64) int64 {
	var sum int64
	for i, c := range channels {
		sum = add(sum, sat(int64(c), elems>>(2*min(i, 62))))
	}
	return sum
}

// sat is a*b for non-negative a and b, saturating at math.MaxInt64.
func sat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

func add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// human formats a byte count.
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ErrNonFinite is wrapped by the error of a generation whose result holds
// NaN or infinite values (an unstable guidance scale, broken weights or
// scheduler settings): such a result is never returned as an image.
var ErrNonFinite = errors.New("non-finite values (NaN or Inf)")

// CheckFinite returns an error wrapping ErrNonFinite, naming what and the
// first bad index, when v holds NaN or an infinity.
func CheckFinite(what string, v []float32) error {
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return fmt.Errorf("%s: value %d is %v: %w", what, i, x, ErrNonFinite)
		}
	}
	return nil
}
