package schedulers

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// UnknownClassError reports a scheduler class name with no registered
// implementation.
type UnknownClassError struct{ Name string }

func (e *UnknownClassError) Error() string {
	return fmt.Sprintf("schedulers: unknown scheduler class %q (known: %s)", e.Name, strings.Join(Classes(), ", "))
}

// Class describes one scheduler implementation for the registry.
type Class struct {
	// Name is the diffusers class name, e.g. "EulerDiscreteScheduler".
	Name string
	// Defaults holds every config key the class accepts with its default
	// value (nil for a None default). Keys outside it are dropped when a
	// config is read, as diffusers' from_config does.
	Defaults map[string]any
	// New builds the scheduler from a config holding exactly the Defaults
	// keys (given values overlaid on the defaults).
	New func(cfg map[string]any) (Scheduler, error)
}

var registry = map[string]Class{}

// Register adds a scheduler class. It panics on a duplicate or incomplete
// registration (a programming error, found at init time).
func Register(c Class) {
	if c.Name == "" || c.New == nil || c.Defaults == nil {
		panic("schedulers: Register needs Name, Defaults and New")
	}
	if _, dup := registry[c.Name]; dup {
		panic("schedulers: class registered twice: " + c.Name)
	}
	registry[c.Name] = c
}

// Classes lists the registered class names, sorted.
func Classes() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FromConfig builds the scheduler named by m["_class_name"] from a parsed
// scheduler_config.json.
func FromConfig(m map[string]any) (Scheduler, error) {
	name, _ := m["_class_name"].(string)
	if name == "" {
		return nil, fmt.Errorf("schedulers: config has no _class_name")
	}
	return FromConfigAs(name, m)
}

// FromConfigAs builds scheduler class className from a config written for
// any scheduler (for instance a checkpoint's own scheduler_config.json),
// keeping only the keys className accepts, dropping the keys listed in
// "_use_default_values", and taking className's defaults for the rest.
func FromConfigAs(className string, m map[string]any) (Scheduler, error) {
	c, ok := registry[className]
	if !ok {
		return nil, &UnknownClassError{Name: className}
	}
	cfg, err := effectiveConfig(c, m)
	if err != nil {
		return nil, err
	}
	if err := validateConfig(cfg); err != nil {
		return nil, fmt.Errorf("schedulers: %s: %w", className, err)
	}
	s, err := c.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedulers: %s: %w", className, err)
	}
	return s, nil
}

// ParseConfig decodes scheduler_config.json bytes into the map FromConfig takes.
func ParseConfig(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := config.Decode(data, &m); err != nil {
		return nil, fmt.Errorf("schedulers: parse config: %w", err)
	}
	return m, nil
}

func effectiveConfig(c Class, m map[string]any) (map[string]any, error) {
	usedDefaults := map[string]bool{}
	if raw, ok := m["_use_default_values"]; ok && raw != nil {
		list, ok := raw.([]any)
		if !ok {
			if ss, ok2 := raw.([]string); ok2 {
				for _, s := range ss {
					usedDefaults[s] = true
				}
			} else {
				return nil, fmt.Errorf("schedulers: _use_default_values must be a list, got %T", raw)
			}
		}
		for _, v := range list {
			if s, ok := v.(string); ok {
				usedDefaults[s] = true
			}
		}
	}
	cfg := make(map[string]any, len(c.Defaults))
	for k, v := range c.Defaults {
		cfg[k] = v
	}
	for k, v := range m {
		if _, known := c.Defaults[k]; !known || usedDefaults[k] || v == nil {
			continue
		}
		cfg[k] = v
	}
	return cfg, nil
}

// params reads typed values from an effective config.
type params struct {
	m   map[string]any
	err error
}

func (p *params) fail(key string, v any, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("config key %q: want %s, got %v (%T)", key, want, v, v)
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func (p *params) float(key string) float64 {
	f, ok := toFloat(p.m[key])
	if !ok {
		p.fail(key, p.m[key], "a number")
	}
	return f
}

// optFloat returns nil for a null value.
func (p *params) optFloat(key string) *float64 {
	if p.m[key] == nil {
		return nil
	}
	f := p.float(key)
	return &f
}

func (p *params) int(key string) int {
	f := p.float(key)
	if f != math.Trunc(f) {
		p.fail(key, p.m[key], "an integer")
	}
	return int(f)
}

func (p *params) bool(key string) bool {
	b, ok := p.m[key].(bool)
	if !ok {
		p.fail(key, p.m[key], "a boolean")
	}
	return b
}

func (p *params) str(key string) string {
	s, ok := p.m[key].(string)
	if !ok {
		p.fail(key, p.m[key], "a string")
	}
	return s
}

func (p *params) floats(key string) []float64 {
	v := p.m[key]
	if v == nil {
		return nil
	}
	switch x := v.(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			f, ok := toFloat(e)
			if !ok {
				p.fail(key, v, "a list of numbers")
				return nil
			}
			out[i] = f
		}
		return out
	}
	p.fail(key, v, "a list of numbers")
	return nil
}

func (p *params) ints(key string) []int {
	f := p.floats(key)
	out := make([]int, len(f))
	for i, v := range f {
		out[i] = int(v)
	}
	return out
}

func (p *params) oneOf(key string, allowed ...string) string {
	s := p.str(key)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if p.err == nil {
		p.err = fmt.Errorf("config key %q: %q is not supported (want one of %s)", key, s, strings.Join(allowed, ", "))
	}
	return s
}

// copyConfig returns a shallow copy of m with list values copied.
func copyConfig(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			out[k] = append([]any(nil), x...)
		case []float64:
			out[k] = append([]float64(nil), x...)
		default:
			out[k] = v
		}
	}
	return out
}
