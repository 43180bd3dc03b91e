package autopipeline

import (
	"context"

	"github.com/goautopipe/diffusers/internal/limits"
	"github.com/goautopipe/diffusers/internal/panics"
)

// Limits bound what one Generate call may ask for: images per call, image
// side and pixels, steps, prompt size, and the memory the call is
// estimated to need (latents, UNet and VAE activations, images). A zero
// field takes the default (DefaultLimits). A request outside them is
// refused before anything is allocated, with an error naming the field
// that matches ErrInvalidRequest (and ErrTooLarge for the memory
// estimate).
type Limits = limits.Limits

// DefaultLimits returns the limits applied when none are given: 256
// images per call, 16384 pixels a side, 64 megapixels an image, 10000
// steps, 1 MiB prompts, and the memory available to the process (the Go
// memory limit when set, otherwise the machine's or cgroup's memory).
func DefaultLimits() Limits { return limits.Default() }

// ContextWithLimits returns a context whose Generate calls are checked
// against l instead of the defaults; a server can tighten them per client.
//
//	ctx = autopipeline.ContextWithLimits(ctx, autopipeline.Limits{MaxImages: 4, MaxPixels: 1024 * 1024})
//	out, err := pipe.Generate(ctx, req)
func ContextWithLimits(ctx context.Context, l Limits) context.Context {
	return limits.NewContext(ctx, l)
}

var (
	// ErrTooLarge is matched by the error of a request whose estimated
	// memory is above what the limits allow.
	ErrTooLarge = limits.ErrTooLarge
	// ErrNonFinite is matched by the error of a generation whose latents
	// or decoded images hold NaN or infinite values; such a result is
	// never returned as an image.
	ErrNonFinite = limits.ErrNonFinite
	// ErrOutOfRange is matched by the error of a config value or request
	// field outside the range any checkpoint or request uses (a count of
	// 1e9 layers, a NaN norm_eps, unordered custom timesteps).
	ErrOutOfRange = limits.ErrOutOfRange
	// ErrInternal is matched by a panic recovered inside the library: a
	// bug, reported as one line ("internal error in <stage>: <value>");
	// errors.As to an interface{ Stack() []byte } gives its stack.
	ErrInternal = panics.ErrInternal
	// ErrFileChanged is matched by the error of a generation that read
	// weights from a checkpoint file changed or cut short after loading
	// (the weights are mapped from their files, not copied): the fault is
	// reported, not fatal to the process. Load the checkpoint again.
	ErrFileChanged = panics.ErrFault
)
