package weights

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/tensor"
)

// HalfCapable is implemented by layer structs whose weights may be stored
// as float16 (tensor.NewHalf) because the kernels that use them widen half
// weights themselves (Linear and Conv2D weights). The names are st tag
// names. Half storage is used when the source was opened with Precision
// Float16.
type HalfCapable interface {
	HalfWeights() []string
}

// Shaper is implemented by layer structs that know the shapes of their
// tensors: it maps a field's tag name (e.g. "weight"; "name.0", "name.1",
// ... for the elements of a slice of tensors) to the expected shape.
// Load checks every shape before reading any data. A tensor field without a
// declared shape takes the shape of the tensor already in the field, if any,
// and otherwise accepts any shape.
type Shaper interface {
	WeightShapes() map[string][]int
}

// Requirer is implemented by layer structs whose configuration decides
// whether an optional tensor belongs to them (a Linear with or without a
// bias). RequiredWeights maps a tag name to true (the tensor must be there:
// a missing one is reported) or to false (the layer has no such tensor: it
// is not loaded, and a checkpoint tensor of that name is reported unused).
// Tags it does not name keep their own rule.
type Requirer interface {
	RequiredWeights() map[string]bool
}

// Option configures Load.
type Option func(*loadOptions)

type loadOptions struct {
	prefix string
	allow  []string
	rename func(string) string
}

// WithPrefix looks every tensor up as p + "." + its tag path, and considers
// only the source tensors under p for the unused check (so one component of
// a single-file pipeline checkpoint can be loaded at a time).
func WithPrefix(p string) Option {
	return func(o *loadOptions) { o.prefix = strings.TrimSuffix(p, ".") }
}

// AllowUnused lets source tensors whose name equals one of prefixes, or
// starts with it followed by ".", stay unused (e.g. "text_model.embeddings.position_ids").
// A prefix ending in "." matches any name starting with it. Names are
// matched both as in the source and as seen by the struct (after rename,
// without the WithPrefix prefix).
func AllowUnused(prefixes ...string) Option {
	return func(o *loadOptions) { o.allow = append(o.allow, prefixes...) }
}

// WithRename maps every source tensor name to the name the struct tags use
// (for legacy or single-file checkpoint keys). Returning "" drops the tensor:
// it is neither loaded nor reported as unused.
func WithRename(f func(sourceName string) string) Option {
	return func(o *loadOptions) { o.rename = f }
}

// LoadError lists every problem Load found, each list sorted. Missing holds
// the names the struct asked for (with the WithPrefix prefix); Unused and
// Duplicate hold source names; Mismatched holds "name: checkpoint [..], model
// [..]".
type LoadError struct {
	Missing, Unused []string
	Mismatched      []string
	Duplicate       []string // source tensors renamed onto an already used name
}

func (e *LoadError) Error() string {
	var parts []string
	add := func(what string, list []string) {
		if len(list) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(list), what, strings.Join(list, ", ")))
		}
	}
	add("missing", e.Missing)
	add("unused", e.Unused)
	add("mismatched", e.Mismatched)
	add("duplicate", e.Duplicate)
	return "weights: load: " + strings.Join(parts, "; ")
}

var denseType = reflect.TypeFor[*tensor.Dense]()

type loader struct {
	src     Source
	o       loadOptions
	byName  map[string]string // struct-space name -> source name
	sorted  []string          // struct-space names, sorted
	used    map[string]bool
	missing []string
	bad     []string
	dups    []string
}

// Load fills the tagged *tensor.Dense fields of the struct dst points to
// from src. See the package documentation for the `st` tag rules. It returns
// a *LoadError listing every missing, unused and mis-shaped tensor, or an
// error when a tensor cannot be read or dst is not a tagged struct pointer.
func Load(src Source, dst any, opts ...Option) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("weights: load: want a non-nil pointer to a struct, got %T", dst)
	}
	l := newLoader(src, opts)
	if err := l.walk(rv.Elem(), ""); err != nil {
		return err
	}
	return l.report()
}

// newLoader indexes the source names as the struct sees them (renamed,
// without the prefix), recording names two source tensors map onto.
func newLoader(src Source, opts []Option) *loader {
	l := &loader{src: src, byName: map[string]string{}, used: map[string]bool{}}
	for _, opt := range opts {
		opt(&l.o)
	}
	for _, name := range src.Names() {
		n, ok := l.structName(name)
		if !ok {
			continue
		}
		if prev, dup := l.byName[n]; dup {
			l.dups = append(l.dups, fmt.Sprintf("%s (renamed to %s, like %s)", name, n, prev))
			continue
		}
		l.byName[n] = name
		l.sorted = append(l.sorted, n)
	}
	sort.Strings(l.sorted)
	return l
}

// structName maps a source name to the struct's name space; ok is false for
// names the rename drops or that lie outside the prefix.
func (l *loader) structName(name string) (string, bool) {
	n := name
	if l.o.rename != nil {
		if n = l.o.rename(n); n == "" {
			return "", false
		}
	}
	if l.o.prefix == "" {
		return n, true
	}
	if !strings.HasPrefix(n, l.o.prefix+".") {
		return "", false
	}
	return n[len(l.o.prefix)+1:], true
}

// report returns the *LoadError of everything the walk found wrong, or nil.
func (l *loader) report() error {
	var unused []string
	for n, srcName := range l.byName {
		if !l.used[n] && !l.allowed(n) && !l.allowed(srcName) {
			unused = append(unused, srcName)
		}
	}
	if len(l.missing)+len(unused)+len(l.bad)+len(l.dups) == 0 {
		return nil
	}
	e := &LoadError{Missing: l.missing, Unused: unused, Mismatched: l.bad, Duplicate: l.dups}
	for _, list := range [][]string{e.Missing, e.Unused, e.Mismatched, e.Duplicate} {
		sort.Strings(list)
	}
	return e
}

func (l *loader) allowed(name string) bool {
	for _, p := range l.o.allow {
		if name == p || strings.HasPrefix(name, p+".") || (strings.HasSuffix(p, ".") && strings.HasPrefix(name, p)) {
			return true
		}
	}
	return false
}

// hasUnder reports whether the source has a tensor named p or under p + ".".
func (l *loader) hasUnder(p string) bool {
	if _, ok := l.byName[p]; ok {
		return true
	}
	i := sort.SearchStrings(l.sorted, p+".")
	return i < len(l.sorted) && strings.HasPrefix(l.sorted[i], p+".")
}

func (l *loader) display(name string) string {
	if l.o.prefix == "" {
		return name
	}
	return l.o.prefix + "." + name
}

func join(prefix, name string) string {
	switch {
	case prefix == "":
		return name
	case name == "":
		return prefix
	}
	return prefix + "." + name
}

type tagInfo struct {
	name             string
	optional, inline bool
}

func parseTag(tag string) tagInfo {
	parts := strings.Split(tag, ",")
	t := tagInfo{name: parts[0]}
	for _, p := range parts[1:] {
		switch p {
		case "optional":
			t.optional = true
		case "inline":
			t.inline = true
		}
	}
	return t
}

// layer is what a struct says about its own tensors through the optional
// interfaces: declared shapes, half-capable weights, required or absent
// optional tensors.
type layer struct {
	shapes   map[string][]int
	half     map[string]bool
	required map[string]bool
}

func layerOf(v reflect.Value) layer {
	var ly layer
	p := v.Addr().Interface()
	if s, ok := p.(Shaper); ok {
		ly.shapes = s.WeightShapes()
	}
	if h, ok := p.(HalfCapable); ok {
		ly.half = map[string]bool{}
		for _, k := range h.HalfWeights() {
			ly.half[k] = true
		}
	}
	if r, ok := p.(Requirer); ok {
		ly.required = r.RequiredWeights()
	}
	return ly
}

func (l *loader) walk(v reflect.Value, prefix string) error {
	ly := layerOf(v)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("st")
		if !ok || tag == "-" {
			continue
		}
		ti, err := parseField(t, f, tag)
		if err != nil {
			return err
		}
		if req, set := ly.required[ti.name]; set {
			if !req {
				continue // not part of this layer: a checkpoint tensor is unused
			}
			ti.optional = false
		}
		full := join(prefix, ti.name)
		if ly.half[ti.name] && v.Field(i).Type() == denseType {
			err = l.tensorAs(v.Field(i), full, ly.shapes[ti.name], ti.optional, true)
		} else {
			err = l.field(v.Field(i), full, ti.name, ly.shapes, ti.optional)
		}
		if err != nil {
			return fmt.Errorf("%w (field %s.%s)", err, t, f.Name)
		}
	}
	return nil
}

// parseField parses the st tag of field f of struct type t.
func parseField(t reflect.Type, f reflect.StructField, tag string) (tagInfo, error) {
	ti := parseTag(tag)
	if !f.IsExported() {
		return ti, fmt.Errorf("weights: load: %s.%s: tagged field must be exported", t, f.Name)
	}
	if ti.inline {
		ti.name = ""
	} else if ti.name == "" {
		return ti, fmt.Errorf("weights: load: %s.%s: empty st tag name", t, f.Name)
	}
	return ti, nil
}

func isStructPtr(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

// field loads one tagged value: a tensor, a struct, a struct pointer or a
// slice/array of those. key is the name used in the parent's Shaper map.
func (l *loader) field(fv reflect.Value, full, key string, shapes map[string][]int, optional bool) error {
	ft := fv.Type()
	switch {
	case ft == denseType:
		if full == "" {
			return fmt.Errorf("weights: load: inline tensor field")
		}
		return l.tensor(fv, full, shapes[key], optional)
	case ft.Kind() == reflect.Struct:
		return l.walk(fv, full)
	case isStructPtr(ft):
		if fv.IsNil() {
			return nil
		}
		if optional && !l.hasUnder(full) {
			fv.Set(reflect.Zero(ft))
			return nil
		}
		return l.walk(fv.Elem(), full)
	case ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array:
		return l.elements(fv, full, key, shapes, optional)
	}
	return fmt.Errorf("weights: load: %s: unsupported type %s for an st tag", full, ft)
}

// elements loads the elements of a slice or array field as full.0, full.1, ...
func (l *loader) elements(fv reflect.Value, full, key string, shapes map[string][]int, optional bool) error {
	if full == "" {
		return fmt.Errorf("weights: load: inline slice field")
	}
	et := fv.Type().Elem()
	if et != denseType && et.Kind() != reflect.Struct && !isStructPtr(et) {
		return fmt.Errorf("weights: load: %s: unsupported type %s for an st tag", full, fv.Type())
	}
	for i := 0; i < fv.Len(); i++ {
		idx := strconv.Itoa(i)
		if err := l.field(fv.Index(i), full+"."+idx, key+"."+idx, shapes, optional); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) tensor(fv reflect.Value, name string, want []int, optional bool) error {
	return l.tensorAs(fv, name, want, optional, false)
}

// tensorAs loads one tensor; half allows float16 storage when the source
// keeps half precision (see WithPrecision).
func (l *loader) tensorAs(fv reflect.Value, name string, want []int, optional, half bool) error {
	if want == nil && !fv.IsNil() {
		want = tensor.Shape(fv.Interface().(*tensor.Dense))
	}
	srcName, ok := l.byName[name]
	if !ok {
		if !optional {
			l.missing = append(l.missing, l.display(name))
		}
		return nil
	}
	l.used[name] = true
	info, ok := l.src.Info(srcName)
	if !ok {
		return fmt.Errorf("weights: load %s: source lists the tensor but has no info", srcName)
	}
	if want != nil && !slices.Equal(shapeKey(info.Shape), shapeKey(want)) {
		l.bad = append(l.bad, fmt.Sprintf("%s: checkpoint %v, model %v", srcName, info.Shape, want))
		return nil
	}
	var t *tensor.Dense
	var err error
	if hs, ok := l.src.(halfSource); ok && half && hs.keepsHalf() {
		t, err = hs.halfTensor(srcName)
	} else {
		t, err = l.src.Tensor(srcName)
	}
	if err != nil {
		return fmt.Errorf("weights: load %s: %w", srcName, err)
	}
	if got := t.Shape(); !slices.Equal(shapeKey(got), shapeKey(info.Shape)) {
		return fmt.Errorf("weights: load %s: source returned shape %v, its info says %v", srcName, []int(got), info.Shape)
	}
	fv.Set(reflect.ValueOf(t))
	return nil
}

// shapeKey treats a 0-d shape as [1], as tensors are returned.
func shapeKey(s []int) []int {
	if len(s) == 0 {
		return []int{1}
	}
	return s
}
