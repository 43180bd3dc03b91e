package autopipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/components"
	"github.com/goautopipe/diffusers/internal/config"
)

// WithVAE replaces the pipeline's VAE by the autoencoder in a diffusers
// component folder or Hub repo (config.json and
// diffusion_pytorch_model.safetensors), its class chosen by the config's
// _class_name: AutoencoderKL, or AutoencoderTiny for TAESD and TAESDXL
// ("madebyollin/taesd"), as diffusers' pipe.vae = AutoencoderTiny.from_pretrained(...).
// The checkpoint's own VAE is then neither downloaded nor loaded.
func WithVAE(pathOrID string) Option { return func(o *options) { o.vae = pathOrID } }

// maxVAEConfig bounds the config.json read to choose the VAE class.
const maxVAEConfig = 1 << 20

// loadVAE loads WithVAE's autoencoder into the replaced components.
func (o *options) loadVAE(ctx context.Context) error {
	if o.vae == "" {
		return nil
	}
	dir, err := o.vaeDir(ctx)
	if err != nil {
		return fmt.Errorf("autopipeline: WithVAE(%q): %w", o.vae, err)
	}
	class, err := vaeClass(filepath.Join(dir, "config.json"))
	if err != nil {
		return fmt.Errorf("autopipeline: WithVAE(%q): %w", o.vae, err)
	}
	lo := components.Options{Variant: o.variant, DType: o.dtype}
	v, err := components.Load(ctx, dir, "vae", config.Component{Library: "diffusers", Class: class}, lo)
	if err != nil {
		return fmt.Errorf("autopipeline: WithVAE(%q): %w", o.vae, err)
	}
	o.components["vae"] = v
	return nil
}

// vaeDir is the local folder of WithVAE's autoencoder, downloaded when it
// names a Hub repo.
func (o *options) vaeDir(ctx context.Context) (string, error) {
	if st, err := os.Stat(o.vae); err == nil {
		if !st.IsDir() {
			return "", fmt.Errorf("%s is a file, not a component folder", o.vae)
		}
		return o.vae, nil
	}
	if _, err := hub.ParseRepoID(o.vae); err != nil {
		return "", fmt.Errorf("neither a local folder nor a Hub repo id: %w", err)
	}
	c := hub.NewClient(o.hub.opts...)
	cfg, err := c.Download(ctx, o.vae, "config.json")
	if err != nil {
		return "", err
	}
	name := "diffusion_pytorch_model.safetensors"
	if o.variant != "" {
		if _, err := c.Download(ctx, o.vae, "diffusion_pytorch_model."+o.variant+".safetensors"); err == nil {
			return filepath.Dir(cfg), nil
		}
	}
	if _, err := c.Download(ctx, o.vae, name); err != nil {
		return "", err
	}
	return filepath.Dir(cfg), nil
}

// vaeClass reads the _class_name of an autoencoder's config.json.
func vaeClass(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var c struct {
		ClassName string `json:"_class_name"`
	}
	if err := json.NewDecoder(io.LimitReader(f, maxVAEConfig)).Decode(&c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	switch c.ClassName {
	case "AutoencoderKL", "AutoencoderTiny":
		return c.ClassName, nil
	}
	return "", fmt.Errorf("%s: _class_name %q is not an autoencoder this package runs (AutoencoderKL, AutoencoderTiny): %w",
		path, c.ClassName, ErrUnsupported)
}
