package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
)

// checkVAE refuses --vae together with --taesd.
func (o *options) checkVAE() error {
	if o.vae != "" && o.taesd {
		return usagef("--vae and --taesd are exclusive")
	}
	return nil
}

// The tiny autoencoders --taesd picks from.
const (
	taesdRepo   = "madebyollin/taesd"
	taesdxlRepo = "madebyollin/taesdxl"
)

func addVAEFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.vae, "vae", "", "autoencoder to use instead of the checkpoint's: a component folder or Hub repo id, AutoencoderKL or AutoencoderTiny (e.g. madebyollin/taesd)")
	fs.BoolVar(&o.taesd, "taesd", false, "decode (and encode) with the tiny autoencoder: "+taesdRepo+", or "+taesdxlRepo+" for SDXL checkpoints")
}

// vaeOption is WithVAE for --vae or --taesd (nil without them).
func (o *options) vaeOption(ctx context.Context) (autopipeline.Option, error) {
	if err := o.checkVAE(); err != nil {
		return nil, err
	}
	if o.vae == "" && !o.taesd {
		return nil, nil
	}
	id := o.vae
	if o.taesd {
		xl, err := isSDXL(ctx, o.model)
		if err != nil {
			return nil, err
		}
		id = taesdRepo
		if xl {
			id = taesdxlRepo
		}
	}
	return autopipeline.WithVAE(id), nil
}

// isSDXL reads the checkpoint's model_index.json (downloading it for a Hub
// id) and reports whether its pipeline class is an SDXL one.
func isSDXL(ctx context.Context, model string) (bool, error) {
	path := filepath.Join(model, "model_index.json")
	if _, err := os.Stat(model); err != nil {
		p, err := hub.Download(ctx, model, "model_index.json")
		if err != nil {
			return false, err
		}
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var idx struct {
		ClassName string `json:"_class_name"`
	}
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&idx); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return strings.Contains(idx.ClassName, "XL"), nil
}
