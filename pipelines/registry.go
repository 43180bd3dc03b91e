package pipelines

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnsupported is returned (wrapped) when a pipeline class has no
// AutoPipeline mapping.
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
func (s Signature) IsOptional(name string) bool {
	for _, o := range s.Optional {
		if o == name {
			return true
		}
	}
	return false
}

// HasModule reports whether name is one of the class's modules.
func (s Signature) HasModule(name string) bool {
	for _, m := range s.Modules {
		if m == name {
			return true
		}
	}
	return false
}

// Constructor builds a pipeline of one class from components and config.
type Constructor interface {
	Signature() Signature
	// New builds the pipeline. components holds every module of the
	// signature that is present (absent optional ones are missing or nil);
	// config holds every key of Signature().Config.
	New(components map[string]any, config map[string]any) (Pipeline, error)
}

// Class is a registered pipeline class.
type Class struct {
	Name   string
	Family string
	Task   Task
	Constructor
}

var registry = struct {
	sync.RWMutex
	byName   map[string]Class
	byFamily map[string]map[Task]string
}{byName: map[string]Class{}, byFamily: map[string]map[Task]string{}}

// Register adds className as family's pipeline for task. Families call it
// from init(). It panics on a duplicate registration (a programming error).
func Register(family string, task Task, className string, ctor Constructor) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byName[className]; dup {
		panic("pipelines: duplicate registration of " + className)
	}
	registry.byName[className] = Class{Name: className, Family: family, Task: task, Constructor: ctor}
	if registry.byFamily[family] == nil {
		registry.byFamily[family] = map[Task]string{}
	}
	registry.byFamily[family][task] = className
}

// Family returns the family a pipeline class belongs to, or "" when the
// class is unknown.
func Family(className string) string {
	registry.RLock()
	defer registry.RUnlock()
	return registry.byName[className].Family
}

// ClassFor resolves the pipeline class of task linked to className, the
// way diffusers' AutoPipeline does: find className's family, then the
// family's class for the task.
func ClassFor(task Task, className string) (Class, error) {
	registry.RLock()
	defer registry.RUnlock()
	family := registry.byName[className].Family
	if family != "" {
		if name, ok := registry.byFamily[family][task]; ok {
			return registry.byName[name], nil
		}
	}
	fam := family
	if fam == "" {
		fam = "None"
	}
	return Class{}, fmt.Errorf("AutoPipeline can't find a pipeline linked to %s for %s: %w", className, fam, ErrUnsupported)
}

// Classes lists the registered class names, sorted.
func Classes() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.byName))
	for n := range registry.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MissingModulesError is diffusers' "expected ... but only ... were passed".
func MissingModulesError(className string, sig Signature, passed map[string]any) error {
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
func CheckModules(className string, sig Signature, components map[string]any) error {
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
