package pipelines

import (
	"context"
	"time"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/schedulers"
)

// Base is what every pipeline class shares: its name, its components and
// config, and the generation core. Families embed it and add their prompt
// encoding.
type Base struct {
	class string
	comps map[string]any
	cfg   map[string]any
	Core  *Core
}

// NewBase checks comps against sig and builds the shared part of a
// pipeline of class for task: the UNet, VAE and scheduler components and
// the image processor.
func NewBase(class string, task Task, sig Signature, comps, cfg map[string]any) (Base, error) {
	b := Base{class: class, comps: map[string]any{}, cfg: map[string]any{}}
	if err := CheckModules(class, sig, comps); err != nil {
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
	core := &Core{Task: task}
	var err error
	if core.UNet, err = As[*unet.Model](class, "unet", comps); err != nil {
		return b, err
	}
	if core.VAE, err = As[*vae.AutoencoderKL](class, "vae", comps); err != nil {
		return b, err
	}
	if core.Scheduler, err = As[schedulers.Scheduler](class, "scheduler", comps); err != nil {
		return b, err
	}
	core.Proc = ImageProcessor{VAEScaleFactor: VAEScaleFactor(core.VAE)}
	b.Core = core
	return b, nil
}

// ClassName implements Pipeline.
func (b *Base) ClassName() string { return b.class }

// Components implements Pipeline.
func (b *Base) Components() Components {
	out := make(Components, len(b.comps))
	for k, v := range b.comps {
		out[k] = v
	}
	return out
}

// Config implements Pipeline.
func (b *Base) Config() map[string]any {
	out := make(map[string]any, len(b.cfg)+1)
	for k, v := range b.cfg {
		out[k] = v
	}
	out["_class_name"] = b.class
	return out
}

// Generate resolves a request with the family's plan (defaults,
// validation, prompt encoding) and runs it on the core. No panic escapes.
func (b *Base) Generate(ctx context.Context, r Request, plan func(context.Context, Request) (*Plan, error)) (out *Output, err error) {
	defer Recover(&err)
	start := time.Now()
	p, err := plan(ctx, r)
	if err != nil {
		return nil, err
	}
	p.EncodeTime = time.Since(start)
	out, err = b.Core.Run(ctx, p)
	if err != nil {
		return nil, err
	}
	out.Request = p.Req
	out.Request.Callback = nil
	return out, nil
}
