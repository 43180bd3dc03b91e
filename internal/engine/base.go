package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/internal/panics"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
)

// Base is what every pipeline class shares: its name, its components and
// config, and the generation core. Families embed it and add their prompt
// encoding.
type Base struct {
	class string
	comps pipelines.Components
	cfg   map[string]any
	Core  *Core
}

// Spec is what a family tells NewBase about one of its classes.
type Spec struct {
	Class     string
	Task      Task
	Signature pipelines.Signature
	Defaults  Defaults
	Traits    Traits
}

// NewBase checks comps against the class's signature and builds the
// shared part of a pipeline: the UNet, VAE and scheduler components and the
// image processor.
func NewBase(s Spec, comps pipelines.Components, cfg map[string]any) (Base, error) {
	b := Base{class: s.Class, comps: pipelines.Components{}, cfg: map[string]any{}}
	if err := pipelines.CheckModules(s.Class, s.Signature, comps); err != nil {
		return b, err
	}
	for k, v := range comps {
		if v != nil {
			b.comps[k] = v
		}
	}
	for k, v := range cfg {
		b.cfg[k] = v
	}
	core := &Core{Task: s.Task, Defaults: s.Defaults, Traits: s.Traits}
	var err error
	if core.UNet, err = As[*unet.Model](s.Class, "unet", comps); err != nil {
		return b, err
	}
	if core.VAE, err = As[vae.Model](s.Class, "vae", comps); err != nil {
		return b, err
	}
	if core.Scheduler, err = As[schedulers.Scheduler](s.Class, "scheduler", comps); err != nil {
		return b, err
	}
	core.Proc = ImageProcessor{VAEScaleFactor: core.VAE.Latents().DownFactor}
	b.Core = core
	return b, nil
}

// As returns comps[name] as a T, or a clear error naming the component.
// An absent component gives T's zero value and no error (the signature
// check has already run).
func As[T any](class, name string, comps pipelines.Components) (T, error) {
	var zero T
	c, ok := comps[name]
	if !ok || c == nil {
		return zero, nil
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%s: component %s is a %T, want %T", class, name, c, zero)
	}
	return t, nil
}

// ClassName implements pipelines.Pipeline.
func (b *Base) ClassName() string { return b.class }

// Components implements pipelines.Pipeline.
func (b *Base) Components() pipelines.Components {
	out := make(pipelines.Components, len(b.comps))
	for k, v := range b.comps {
		out[k] = v
	}
	return out
}

// Config implements pipelines.Pipeline.
func (b *Base) Config() map[string]any {
	out := make(map[string]any, len(b.cfg)+1)
	for k, v := range b.cfg {
		out[k] = v
	}
	out["_class_name"] = b.class
	return out
}

// Generate runs a request with the family's prompt encoding. No panic
// escapes.
func (b *Base) Generate(ctx context.Context, r pipelines.Request, enc Encoder) (out *pipelines.Output, err error) {
	defer panics.Recover(&err, b.class)
	defer panics.OnFault()()
	return b.Core.Generate(ctx, r, enc)
}
