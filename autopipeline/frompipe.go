package autopipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/goautopipe/diffusers/internal/panics"
	"github.com/goautopipe/diffusers/pipelines"
)

// FromPipe builds the task's pipeline from a loaded one, sharing the very
// same component objects (nothing is copied or reloaded). Components the
// new class does not take are dropped; config values are carried over
// (WithConfig overrides them) and keys the new class does not use are kept
// as "_key" so that converting back restores them, as diffusers does.
func (t Task) FromPipe(src Pipeline, opts ...Option) (p Pipeline, err error) {
	defer panics.Recover(&err, "FromPipe")
	defer panics.OnFault()()
	if src == nil {
		return nil, errors.New("autopipeline: FromPipe: nil pipeline")
	}
	if d, ok := src.(*defaultsPipeline); ok {
		src = d.Pipeline
	}
	cls, err := t.classFor(src.ClassName())
	if err != nil {
		return nil, err
	}
	return fromPipe(t, cls, src, opts)
}

// FromPipeAs builds the pipeline class named className (a diffusers class
// such as "LatentConsistencyModelPipeline") from a loaded pipeline of any
// family, sharing its components as FromPipe does: diffusers'
// LatentConsistencyModelPipeline.from_pipe(sd_pipe), where AutoPipeline's
// from_pipe stays within the source's family.
func FromPipeAs(className string, src Pipeline, opts ...Option) (p Pipeline, err error) {
	defer panics.Recover(&err, "FromPipeAs")
	defer panics.OnFault()()
	if src == nil {
		return nil, errors.New("autopipeline: FromPipeAs: nil pipeline")
	}
	if d, ok := src.(*defaultsPipeline); ok {
		src = d.Pipeline
	}
	fam, ok := pipelines.FamilyOf(className)
	if !ok {
		return nil, fmt.Errorf("autopipeline: FromPipeAs: unknown pipeline class %q: %w", className, ErrUnsupported)
	}
	for _, c := range fam.Classes() {
		if c.Name() == className {
			return fromPipe(0, c, src, opts)
		}
	}
	return nil, fmt.Errorf("autopipeline: FromPipeAs: unknown pipeline class %q: %w", className, ErrUnsupported)
}

// fromPipe builds class cls from src's components and config (t is the
// task asked for, zero for FromPipeAs).
func fromPipe(t Task, cls pipelines.Class, src Pipeline, opts []Option) (Pipeline, error) {
	o, err := collect(opts)
	if err != nil {
		return nil, err
	}
	if err := o.loadVAE(context.Background()); err != nil {
		return nil, err
	}
	if err := o.loadLoRAs(context.Background()); err != nil {
		return nil, err
	}
	sig := cls.Signature()
	if err := o.checkComponents(cls.Name(), sig); err != nil {
		return nil, err
	}
	comps := sharedComponents(sig, src.Components(), o.components)
	return t.build(cls, comps, carriedConfig(sig, src.Config(), o), o)
}

// sharedComponents takes the modules of sig from the source pipeline,
// replaced by WithComponent's where given (nil leaves one out).
func sharedComponents(sig pipelines.Signature, src, replaced pipelines.Components) pipelines.Components {
	comps := pipelines.Components{}
	for _, m := range sig.Modules {
		c, ok := replaced[m]
		if !ok {
			c = src[m]
		}
		if c != nil {
			comps[m] = c
		}
	}
	return comps
}

// carriedConfig is the new class's config from the source's: WithConfig
// first, then the source's value (public or kept as "_key"), then the
// class default; the source's keys the class does not use are kept as
// "_key".
func carriedConfig(sig pipelines.Signature, orig map[string]any, o *options) map[string]any {
	nameOrPath := orig["_name_or_path"]
	for _, k := range []string{"_name_or_path", "_class_name", "_diffusers_version"} {
		delete(orig, k)
	}
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
	for k, v := range orig {
		if _, used := cfg[k]; !used {
			cfg[private(k)] = v
		}
	}
	for _, k := range o.configKeys {
		if _, known := sig.Config[k]; !known {
			cfg[private(k)] = o.config[k]
		}
	}
	if nameOrPath != nil {
		cfg["_name_or_path"] = nameOrPath
	}
	return cfg
}

func private(k string) string {
	if strings.HasPrefix(k, "_") {
		return k
	}
	return "_" + k
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
