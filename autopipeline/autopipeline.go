package autopipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/parallel"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
)

// Task selects what the pipeline does.
type Task int

// The tasks.
const (
	Text2Image  = Task(pipelines.Text2Image)
	Image2Image = Task(pipelines.Image2Image)
	Inpainting  = Task(pipelines.Inpainting)
)

func (t Task) String() string { return pipelines.Task(t).String() }

// ErrUnsupported is matched by errors.Is when a checkpoint's pipeline class
// (or one of its components) has no Go implementation.
var ErrUnsupported = pipelines.ErrUnsupported

// Constructor builds a pipeline class from components and config.
type Constructor = pipelines.Constructor

// Register links className to family and task. Families register from init().
func Register(family string, task Task, className string, ctor Constructor) {
	pipelines.Register(family, pipelines.Task(task), className, ctor)
}

// FromPretrained loads the task's pipeline for a checkpoint: a local
// diffusers folder or a Hub repo id ("org/name"). It reads
// model_index.json first, resolves the class (the checkpoint's family,
// then the family's class for the task) and only then loads weights.
func (t Task) FromPretrained(ctx context.Context, nameOrPath string, opts ...Option) (p pipelines.Pipeline, err error) {
	defer pipelines.Recover(&err)
	o := collect(opts)
	if o.dtype < tensor.Float32 || o.dtype > tensor.BFloat16 {
		return nil, fmt.Errorf("autopipeline: unknown dtype %v", o.dtype)
	}
	dir, err := resolve(ctx, nameOrPath, t, o)
	if err != nil {
		return nil, err
	}
	idx, err := config.ReadModelIndex(filepath.Join(dir, "model_index.json"))
	if err != nil {
		return nil, err
	}
	cls, err := pipelines.ClassFor(pipelines.Task(t), idx.ClassName)
	if err != nil {
		return nil, err
	}
	sig := cls.Signature()
	comps, err := loadComponents(ctx, dir, idx, sig, o)
	if err != nil {
		return nil, fmt.Errorf("autopipeline: %s: %w", nameOrPath, err)
	}
	if err := pipelines.CheckModules(cls.Name, sig, comps); err != nil {
		return nil, err
	}
	if err := swapScheduler(comps, o.scheduler); err != nil {
		return nil, err
	}
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
	p, err = cls.New(comps, cfg)
	if err != nil {
		return nil, err
	}
	return withDefaults(p, o.defaults), nil
}

// FromPipe builds the task's pipeline from a loaded one, sharing the very
// same component objects (nothing is copied or reloaded). Components the
// new class does not take are dropped; config values are carried over
// (WithConfig overrides them) and keys the new class does not use are kept
// as "_key" so that converting back restores them, as diffusers does.
func (t Task) FromPipe(src pipelines.Pipeline, opts ...Option) (p pipelines.Pipeline, err error) {
	defer pipelines.Recover(&err)
	if src == nil {
		return nil, errors.New("autopipeline: FromPipe: nil pipeline")
	}
	o := collect(opts)
	if d, ok := src.(*defaultsPipeline); ok {
		src = d.Pipeline
	}
	cls, err := pipelines.ClassFor(pipelines.Task(t), src.ClassName())
	if err != nil {
		return nil, err
	}
	sig := cls.Signature()

	comps := map[string]any{}
	for _, m := range sig.Modules {
		if c, ok := o.components[m]; ok {
			if c != nil {
				comps[m] = c
			}
			continue
		}
		if c, ok := src.Components()[m]; ok && c != nil {
			comps[m] = c
		}
	}
	if err := pipelines.CheckModules(cls.Name, sig, comps); err != nil {
		return nil, err
	}
	if err := swapScheduler(comps, o.scheduler); err != nil {
		return nil, err
	}

	orig := src.Config()
	nameOrPath := orig["_name_or_path"]
	delete(orig, "_name_or_path")
	delete(orig, "_class_name")
	delete(orig, "_diffusers_version")

	cfg := map[string]any{}
	for k, def := range sig.Config {
		switch {
		case has(o.config, k):
			cfg[k] = o.config[k]
		case has(orig, k):
			cfg[k] = orig[k]
		case has(orig, "_"+k):
			cfg[k] = orig["_"+k]
			delete(orig, "_"+k)
		default:
			cfg[k] = def
		}
	}
	// Keys the new class does not use are kept privately.
	for k, v := range orig {
		if _, used := cfg[k]; used {
			continue
		}
		if strings.HasPrefix(k, "_") {
			cfg[k] = v
		} else {
			cfg["_"+k] = v
		}
	}
	for _, k := range o.configKeys {
		if _, known := sig.Config[k]; !known && !strings.HasPrefix(k, "_") {
			cfg["_"+k] = o.config[k]
		}
	}
	if nameOrPath != nil {
		cfg["_name_or_path"] = nameOrPath
	}
	p, err = cls.New(comps, cfg)
	if err != nil {
		return nil, err
	}
	return withDefaults(p, o.defaults), nil
}

// loadComponents loads the modules of sig that model_index.json lists
// (those replaced by WithComponent are taken as given), several at a time:
// loading is mostly reading files and touching fresh memory, which
// overlaps well.
func loadComponents(ctx context.Context, dir string, idx *config.ModelIndex, sig pipelines.Signature, o *options) (map[string]any, error) {
	lo := pipelines.LoadOptions{Variant: o.variant, DType: o.dtype}
	comps := map[string]any{}
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
		defer pipelines.Recover(&errs[i])
		m := names[i]
		loaded[i], errs[i] = pipelines.LoadComponent(ctx, filepath.Join(dir, m), m, idx.Components[m], lo)
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
func swapScheduler(comps map[string]any, className string) error {
	if className == "" {
		return nil
	}
	cur, ok := comps["scheduler"].(schedulers.Scheduler)
	if !ok {
		return fmt.Errorf("autopipeline: WithScheduler(%q): the pipeline has no scheduler", className)
	}
	s, err := schedulers.FromConfigAs(className, cur.Config())
	if err != nil {
		return fmt.Errorf("autopipeline: WithScheduler(%q): %w", className, err)
	}
	comps["scheduler"] = s
	return nil
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// resolve returns the local folder of a checkpoint.
func resolve(ctx context.Context, nameOrPath string, t Task, o *options) (string, error) {
	if st, err := os.Stat(nameOrPath); err == nil {
		if !st.IsDir() {
			return "", fmt.Errorf("autopipeline: %s is a file, not a diffusers folder", nameOrPath)
		}
		return nameOrPath, nil
	}
	return resolveHub(ctx, nameOrPath, t, o)
}
