package components

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/safety"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/schedulers"
)

// The model classes a diffusers checkpoint names in model_index.json, and
// how each is loaded from its folder.
func init() {
	Register("UNet2DConditionModel", func(ctx context.Context, dir string, o Options) (any, error) {
		return unet.Load(dir, o.weights(dir))
	})
	Register("AutoencoderKL", func(ctx context.Context, dir string, o Options) (any, error) {
		return vae.Load(dir, o.weights(dir))
	})
	Register("AutoencoderTiny", func(ctx context.Context, dir string, o Options) (any, error) {
		return vae.LoadTiny(dir, o.weights(dir))
	})
	text := func(ctx context.Context, dir string, o Options) (any, error) {
		return clip.LoadTextModel(dir, o.weights(dir))
	}
	Register("CLIPTextModel", text)
	Register("CLIPTextModelWithProjection", text)
	tok := func(ctx context.Context, dir string, o Options) (any, error) {
		return clip.LoadTokenizer(dir)
	}
	Register("CLIPTokenizer", tok)
	Register("CLIPTokenizerFast", tok)
	Register("StableDiffusionSafetyChecker", func(ctx context.Context, dir string, o Options) (any, error) {
		return safety.Load(dir, o.weights(dir))
	})
	fe := func(ctx context.Context, dir string, o Options) (any, error) {
		return safety.LoadFeatureExtractor(dir)
	}
	Register("CLIPImageProcessor", fe)
	Register("CLIPFeatureExtractor", fe)
	for _, name := range schedulers.Classes() {
		Register(name, loadScheduler)
	}
}

func loadScheduler(ctx context.Context, dir string, o Options) (any, error) {
	path := filepath.Join(dir, "scheduler_config.json")
	var m map[string]any
	if err := config.ReadJSONContext(ctx, path, config.MaxConfigBytes, &m); err != nil {
		return nil, err
	}
	return schedulers.FromConfig(m)
}

// variantFor returns variant when dir holds weights of that variant, and ""
// otherwise: like diffusers, a component without the requested variant
// loads its regular weights.
func variantFor(dir, variant string) string {
	if variant == "" {
		return ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return variant
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, "."+variant+".safetensors") || strings.HasSuffix(n, "."+variant+".json") ||
			strings.Contains(n, "."+variant+"-") {
			return variant
		}
	}
	return ""
}

func (o Options) weights(dir string) weights.OpenOptions {
	return weights.OpenOptions{Variant: variantFor(dir, o.Variant), Precision: o.DType}
}
