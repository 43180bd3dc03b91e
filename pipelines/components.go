package pipelines

import (
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/safety"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/schedulers"
)

// Components are a pipeline's component objects by their model_index.json
// names ("unet", "vae", "scheduler", ...). The typed accessors return nil
// when the pipeline has no such component (or it is of another type):
//
//	pipe.Components().VAE().SetTiling(true)
//
// The objects are the pipeline's own, shared with every pipeline made from
// it by FromPipe.
type Components map[string]any

func get[T any](c Components, name string) T {
	v, _ := c[name].(T)
	return v
}

// UNet returns the "unet" component.
func (c Components) UNet() *unet.Model { return get[*unet.Model](c, "unet") }

// VAE returns the "vae" component.
func (c Components) VAE() *vae.AutoencoderKL { return get[*vae.AutoencoderKL](c, "vae") }

// Scheduler returns the "scheduler" component.
func (c Components) Scheduler() schedulers.Scheduler {
	return get[schedulers.Scheduler](c, "scheduler")
}

// TextEncoder returns the "text_encoder" component.
func (c Components) TextEncoder() *clip.TextModel { return get[*clip.TextModel](c, "text_encoder") }

// TextEncoder2 returns SDXL's "text_encoder_2" component.
func (c Components) TextEncoder2() *clip.TextModel {
	return get[*clip.TextModel](c, "text_encoder_2")
}

// Tokenizer returns the "tokenizer" component.
func (c Components) Tokenizer() *clip.Tokenizer { return get[*clip.Tokenizer](c, "tokenizer") }

// Tokenizer2 returns SDXL's "tokenizer_2" component.
func (c Components) Tokenizer2() *clip.Tokenizer { return get[*clip.Tokenizer](c, "tokenizer_2") }

// SafetyChecker returns the "safety_checker" component.
func (c Components) SafetyChecker() *safety.Checker {
	return get[*safety.Checker](c, "safety_checker")
}
