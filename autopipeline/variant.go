package autopipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/config"
)

// checkVariant refuses WithVariant(v) on a folder where no component has
// weights of that variant, as diffusers does ("no such modeling files are
// available"); a folder where some components have it loads the others'
// regular weights, also as diffusers does.
func checkVariant(dir string, idx *config.ModelIndex, variant string) error {
	if variant == "" {
		return nil
	}
	for _, name := range idx.Order {
		entries, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if strings.Contains(n, "."+variant+".") || strings.Contains(n, "."+variant+"-") {
				return nil
			}
		}
	}
	return fmt.Errorf("autopipeline: %s: WithVariant(%q): no component has weights of that variant (e.g. diffusion_pytorch_model.%s.safetensors): %w",
		dir, variant, variant, hub.ErrVariantNotFound)
}
