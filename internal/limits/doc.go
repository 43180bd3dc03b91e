// Package limits is the one place that bounds what a configuration or a
// request may ask for before anything is allocated.
//
// Config values (counts, dimensions, channel lists, floats) are checked
// with the helpers of bounds.go against constants far above any published
// checkpoint: a layers_per_block of 1e9 is refused with an error naming the
// key instead of trying to build a billion layers.
//
// A request is checked by Limits.Check against operator-tunable limits
// (images per call, pixels per image, side, steps, prompt size) and against
// an estimate of the bytes it will need (Estimate: latents, UNet and VAE
// activations, decoded images), computed from the shapes of the loaded
// models, so that a request the machine cannot hold gets an error naming
// the field instead of an unrecoverable out-of-memory crash.
//
// The package knows nothing about models or pipelines: callers describe the
// models with a Shape and the request with a Request.
package limits
