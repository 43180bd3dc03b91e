package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/schedulers"
)

// samplers are the short scheduler names --scheduler accepts besides the
// diffusers class names.
var samplers = map[string]string{
	"ddim":      "DDIMScheduler",
	"ddpm":      "DDPMScheduler",
	"pndm":      "PNDMScheduler",
	"lms":       "LMSDiscreteScheduler",
	"euler":     "EulerDiscreteScheduler",
	"euler_a":   "EulerAncestralDiscreteScheduler",
	"heun":      "HeunDiscreteScheduler",
	"dpm++":     "DPMSolverMultistepScheduler",
	"dpmsolver": "DPMSolverMultistepScheduler",
	"unipc":     "UniPCMultistepScheduler",
	"lcm":       "LCMScheduler",
}

func samplerNames() string {
	names := make([]string, 0, len(samplers))
	for n := range samplers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// schedulerClass maps a short name to its class (anything else unchanged).
func schedulerClass(name string) string {
	if c, ok := samplers[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// checkSchedulerAndVAE resolves a short --scheduler name and checks the
// class exists; --vae and --taesd exclude each other.
func (o *options) checkSchedulerAndVAE() error {
	if o.scheduler != "" {
		o.scheduler = schedulerClass(o.scheduler)
		if !slices.Contains(schedulers.Classes(), o.scheduler) {
			return usagef("--scheduler %q is not available; choose one of: %s, or %s", o.scheduler, samplerNames(), strings.Join(schedulers.Classes(), ", "))
		}
	}
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
