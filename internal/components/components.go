package components

import (
	"context"
	"fmt"
	"github.com/goautopipe/diffusers/pipelines"
	"sync"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/tensor"
)

// Options are the options that reach component loaders.
type Options struct {
	// Variant selects weight files such as diffusion_pytorch_model.fp16.safetensors.
	Variant string
	// DType is the precision of the weights: with Float16 or BFloat16 every
	// weight is rounded to that precision at load time (the values a
	// half-precision model holds) and Linear/Conv2D weights are stored in
	// 16 bits; with BFloat16 their products run in bfloat16 where the CPU
	// can. Everything else computes in float32.
	DType tensor.DType
}

// Loader loads one component from its folder in a checkpoint.
type Loader func(ctx context.Context, dir string, o Options) (any, error)

var loaders = struct {
	sync.RWMutex
	m map[string]Loader
}{m: map[string]Loader{}}

// RegisterComponent makes class (a model_index.json class name such as
// "UNet2DConditionModel") loadable.
func Register(class string, l Loader) {
	loaders.Lock()
	defer loaders.Unlock()
	loaders.m[class] = l
}

// LoadComponent loads the component called name, described in
// model_index.json by spec, from dir.
func Load(ctx context.Context, dir, name string, spec config.Component, o Options) (any, error) {
	loaders.RLock()
	l, ok := loaders.m[spec.Class]
	loaders.RUnlock()
	if !ok {
		return nil, fmt.Errorf("component %s: class %s.%s is not supported: %w", name, spec.Library, spec.Class, pipelines.ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := l(ctx, dir, o)
	if err != nil {
		return nil, fmt.Errorf("component %s (%s): %w", name, spec.Class, err)
	}
	return c, nil
}
