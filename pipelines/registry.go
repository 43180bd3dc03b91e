package pipelines

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnsupported is returned (wrapped) when a pipeline class has no
// AutoPipeline mapping, or a component class has no Go implementation.
var ErrUnsupported = errors.New("unsupported pipeline")

// Signature describes what a pipeline class takes, like the arguments of a
// diffusers pipeline's __init__.
type Signature struct {
	// Modules are the component names, in diffusers' order.
	Modules []string
	// Optional are the modules that may be absent.
	Optional []string
	// Config maps the class's config keys (non-module __init__ arguments) to
	// their defaults.
	Config map[string]any
}

// IsOptional reports whether module name may be absent.
func (s Signature) IsOptional(name string) bool { return contains(s.Optional, name) }

// HasModule reports whether name is one of the class's modules.
func (s Signature) HasModule(name string) bool { return contains(s.Modules, name) }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Class is one diffusers pipeline class: its name, what it takes, and how
// to build it.
type Class interface {
	// Name is the diffusers class name, e.g. "StableDiffusionPipeline".
	Name() string
	Signature() Signature
	// New builds the pipeline. components holds every module of the
	// signature that is present (absent optional ones are missing or nil);
	// config holds every key of Signature().Config.
	New(components Components, config map[string]any) (Pipeline, error)
}

// Family is an AutoPipeline family: its name (diffusers' mapping key, such
// as "stable-diffusion") and its class for each task; a nil class means
// the family has none for that task.
type Family struct {
	Name                                string
	Text2Image, Image2Image, Inpainting Class
}

// Classes returns the family's classes (nil ones left out).
func (f Family) Classes() []Class {
	var out []Class
	for _, c := range []Class{f.Text2Image, f.Image2Image, f.Inpainting} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

var registry = struct {
	sync.RWMutex
	byClass  map[string]string // class name -> family name
	families map[string]Family
}{byClass: map[string]string{}, families: map[string]Family{}}

// Register adds a family. Families call it from init(). It panics on a
// duplicate family or class name (a programming error).
func Register(f Family) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.families[f.Name]; dup {
		panic("pipelines: duplicate registration of family " + f.Name)
	}
	for _, c := range f.Classes() {
		if _, dup := registry.byClass[c.Name()]; dup {
			panic("pipelines: duplicate registration of " + c.Name())
		}
		registry.byClass[c.Name()] = f.Name
	}
	registry.families[f.Name] = f
}

// FamilyOf returns the family a pipeline class belongs to; false when the
// class is unknown.
func FamilyOf(className string) (Family, bool) {
	registry.RLock()
	defer registry.RUnlock()
	name, ok := registry.byClass[className]
	if !ok {
		return Family{}, false
	}
	return registry.families[name], true
}

// Classes lists the registered class names, sorted.
func Classes() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.byClass))
	for n := range registry.byClass {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MissingModulesError is diffusers' "expected ... but only ... were passed".
func MissingModulesError(className string, sig Signature, passed Components) error {
	var got []string
	for k, v := range passed {
		if v != nil && sig.HasModule(k) {
			got = append(got, k)
		}
	}
	sort.Strings(got)
	return fmt.Errorf("Pipeline %s expected {%s}, but only {%s} were passed", className,
		quoteJoin(sig.Modules), quoteJoin(got))
}

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q, ", ")
}

// CheckModules returns MissingModulesError when a required module of sig
// is absent from components.
func CheckModules(className string, sig Signature, components Components) error {
	for _, m := range sig.Modules {
		if sig.IsOptional(m) {
			continue
		}
		if c, ok := components[m]; !ok || c == nil {
			return MissingModulesError(className, sig, components)
		}
	}
	return nil
}
