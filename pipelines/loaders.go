package pipelines

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
	RegisterComponent("UNet2DConditionModel", func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return unet.Load(dir, o.weights(dir))
	})
	RegisterComponent("AutoencoderKL", func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return vae.Load(dir, o.weights(dir))
	})
	text := func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return clip.LoadTextModel(dir, o.weights(dir))
	}
	RegisterComponent("CLIPTextModel", text)
	RegisterComponent("CLIPTextModelWithProjection", text)
	tok := func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return clip.LoadTokenizer(dir)
	}
	RegisterComponent("CLIPTokenizer", tok)
	RegisterComponent("CLIPTokenizerFast", tok)
	RegisterComponent("StableDiffusionSafetyChecker", func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return safety.Load(dir, o.weights(dir))
	})
	fe := func(ctx context.Context, dir string, o LoadOptions) (any, error) {
		return safety.LoadFeatureExtractor(dir)
	}
	RegisterComponent("CLIPImageProcessor", fe)
	RegisterComponent("CLIPFeatureExtractor", fe)
	for _, name := range schedulers.Classes() {
		RegisterComponent(name, loadScheduler)
	}
}

func loadScheduler(ctx context.Context, dir string, o LoadOptions) (any, error) {
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

func (o LoadOptions) weights(dir string) weights.OpenOptions {
	return weights.OpenOptions{Variant: variantFor(dir, o.Variant), Precision: o.DType}
}
