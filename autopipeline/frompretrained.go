package autopipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/internal/components"
	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/panics"
	"github.com/goautopipe/diffusers/internal/parallel"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
)

// FromPretrained loads the task's pipeline for a checkpoint: a local
// diffusers folder or a Hub repo id ("org/name"). It reads
// model_index.json first, resolves the class (the checkpoint's family,
// then the family's class for the task) and only then loads weights.
func (t Task) FromPretrained(ctx context.Context, nameOrPath string, opts ...Option) (p Pipeline, err error) {
	defer panics.Recover(&err, "FromPretrained")
	defer panics.OnFault()()
	o, err := collect(opts)
	if err == nil && ctx == nil {
		err = errors.New("autopipeline: FromPretrained: nil context")
	}
	if err != nil {
		return nil, err
	}
	if err := o.loadVAE(ctx); err != nil {
		return nil, err
	}
	if err := o.loadLoRAs(ctx); err != nil {
		return nil, err
	}
	// 1. Find the checkpoint folder (downloading from the Hub if needed), or
	// load a single-file checkpoint.
	if file, ok, err := singleFilePath(ctx, nameOrPath, o); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return t.fromSingleFile(ctx, file, nameOrPath, o)
	}
	dir, err := resolve(ctx, nameOrPath, t, o)
	if err != nil {
		return nil, err
	}
	// 2. Read model_index.json and resolve the class.
	idx, err := config.ReadModelIndexContext(ctx, filepath.Join(dir, "model_index.json"))
	if err == nil {
		err = checkVariant(dir, idx, o.variant)
	}
	if err != nil {
		return nil, err
	}
	cls, err := t.classFor(idx.ClassName)
	if err != nil {
		return nil, err
	}
	// 3. Load the components the class takes.
	sig := cls.Signature()
	if err := o.checkComponents(cls.Name(), sig); err != nil {
		return nil, err
	}
	comps, err := loadComponents(ctx, dir, idx, sig, o)
	if err != nil {
		return nil, fmt.Errorf("autopipeline: %s: %w", nameOrPath, err)
	}
	// 4. Build the pipeline with its config.
	return t.build(cls, comps, pretrainedConfig(sig, idx, o, nameOrPath), o)
}

// build checks the components, applies WithScheduler and the adapters
// (WithLoRA, WithTextualInversion) and builds the pipeline.
func (t Task) build(cls pipelines.Class, comps pipelines.Components, cfg map[string]any, o *options) (Pipeline, error) {
	if err := pipelines.CheckModules(cls.Name(), cls.Signature(), comps); err != nil {
		return nil, err
	}
	if err := swapScheduler(comps, o.scheduler); err != nil {
		return nil, err
	}
	if err := applyAdapters(comps, o); err != nil {
		return nil, err
	}
	p, err := cls.New(comps, cfg)
	if err != nil {
		return nil, err
	}
	return withDefaults(p, o.defaults), nil
}

// pretrainedConfig is the class's config: its defaults, the values of
// model_index.json, then WithConfig's (keys the class does not take are
// kept as "_key").
func pretrainedConfig(sig pipelines.Signature, idx *config.ModelIndex, o *options, nameOrPath string) map[string]any {
	cfg := map[string]any{}
	for k, def := range sig.Config {
		cfg[k] = def
		if v, ok := idx.Extra[k]; ok {
			cfg[k] = v
		}
	}
	for _, k := range o.configKeys {
		if _, known := sig.Config[k]; known || strings.HasPrefix(k, "_") {
			cfg[k] = o.config[k]
		} else {
			cfg["_"+k] = o.config[k]
		}
	}
	cfg["_name_or_path"] = nameOrPath
	return cfg
}

// resolve returns the local folder of a checkpoint.
func resolve(ctx context.Context, nameOrPath string, t Task, o *options) (string, error) {
	if st, err := os.Stat(nameOrPath); err == nil {
		if !st.IsDir() {
			return "", fmt.Errorf("autopipeline: %s is a file, not a diffusers folder (nor a .safetensors single-file checkpoint)", nameOrPath)
		}
		return nameOrPath, nil
	}
	return resolveHub(ctx, nameOrPath, t, o)
}

// loadComponents loads the modules of sig that model_index.json lists
// (those replaced by WithComponent are taken as given), several at a time:
// loading is mostly reading files and touching fresh memory, which
// overlaps well.
func loadComponents(ctx context.Context, dir string, idx *config.ModelIndex, sig pipelines.Signature, o *options) (pipelines.Components, error) {
	lo := components.Options{Variant: o.variant, DType: o.dtype}
	comps := pipelines.Components{}
	var names []string
	for _, m := range sig.Modules {
		if c, ok := o.components[m]; ok {
			if c != nil {
				comps[m] = c
			}
			continue
		}
		if spec, ok := idx.Components[m]; ok && spec.Present() {
			names = append(names, m)
		}
	}
	loaded := make([]any, len(names))
	errs := make([]error, len(names))
	parallel.For(len(names), func(i int) {
		m := names[i]
		defer panics.Recover(&errs[i], "loading "+m)
		loaded[i], errs[i] = components.Load(ctx, filepath.Join(dir, m), m, idx.Components[m], lo)
	})
	for i, m := range names {
		if errs[i] != nil {
			return nil, errs[i]
		}
		comps[m] = loaded[i]
	}
	return comps, nil
}

// swapScheduler replaces comps["scheduler"] by className built from its
// config (no-op when className is empty).
func swapScheduler(comps pipelines.Components, className string) error {
	if className == "" {
		return nil
	}
	cur := comps.Scheduler()
	if cur == nil {
		return fmt.Errorf("autopipeline: WithScheduler(%q): the pipeline has no scheduler", className)
	}
	s, err := schedulers.FromConfigAs(className, cur.Config())
	if err != nil {
		return fmt.Errorf("autopipeline: WithScheduler(%q): %w", className, err)
	}
	comps["scheduler"] = s
	return nil
}
