package config

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// Component is one entry of model_index.json: the library and class that
// diffusers would instantiate for a sub-folder, e.g. ["diffusers",
// "UNet2DConditionModel"]. An entry written as [null, null] (a component the
// pipeline may run without, such as the refiner's missing text_encoder)
// decodes to the zero Component.
type Component struct {
	Library, Class string
}

// Present reports whether the component names a library and a class.
func (c Component) Present() bool { return c.Library != "" && c.Class != "" }

// ModelIndex is the decoded model_index.json of a pipeline folder.
type ModelIndex struct {
	ClassName        string // _class_name, e.g. "StableDiffusionXLPipeline"
	DiffusersVersion string // _diffusers_version
	NameOrPath       string // _name_or_path, empty when absent

	// Components maps a component (sub-folder) name to its [library, class].
	Components map[string]Component
	// Order lists the component names in the order of the file.
	Order []string
	// Extra holds every other key (requires_safety_checker,
	// force_zeros_for_empty_prompt, requires_aesthetics_score, ...) as
	// decoded by encoding/json (bool, float64, string, nil, []any, map[string]any).
	Extra map[string]any
}

// Bool returns Extra[key] when it is a JSON boolean.
func (m *ModelIndex) Bool(key string) (value, ok bool) {
	v, ok := m.Extra[key].(bool)
	return v, ok
}

// ReadModelIndex reads a model_index.json file.
func ReadModelIndex(path string) (*ModelIndex, error) {
	return ReadModelIndexContext(context.Background(), path)
}

// ReadModelIndexContext reads a model_index.json file of at most
// MaxConfigBytes, giving up once ctx is done.
func ReadModelIndexContext(ctx context.Context, path string) (*ModelIndex, error) {
	data, err := ReadFile(ctx, path, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	m, err := ParseModelIndex(data)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return m, nil
}

// ParseModelIndex decodes the contents of a model_index.json file.
func ParseModelIndex(data []byte) (*ModelIndex, error) {
	data = pythonWords(data)
	keys, values, err := objectInOrder(data)
	if err != nil {
		return nil, err
	}
	m := &ModelIndex{Components: map[string]Component{}, Extra: map[string]any{}}
	seenClass := false
	for i, k := range keys {
		raw := values[i]
		switch k {
		case "_class_name", "_diffusers_version", "_name_or_path":
			var s *string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("key %q: want a string, got %s", k, abbrev(raw))
			}
			if s == nil {
				continue
			}
			switch k {
			case "_class_name":
				m.ClassName, seenClass = *s, true
			case "_diffusers_version":
				m.DiffusersVersion = *s
			default:
				m.NameOrPath = *s
			}
			continue
		}
		if c, ok := asComponent(raw); ok {
			m.Components[k] = c
			m.Order = append(m.Order, k)
			continue
		}
		var v any
		if err := Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("key %q: %v", k, err)
		}
		m.Extra[k] = v
	}
	if !seenClass || m.ClassName == "" {
		return nil, fmt.Errorf("key %q missing: not a diffusers model_index.json", "_class_name")
	}
	return m, nil
}

// asComponent recognises a two-element list whose elements are strings or
// null.
func asComponent(raw json.RawMessage) (Component, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return Component{}, false
	}
	var pair []*string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return Component{}, false
	}
	var c Component
	if pair[0] != nil {
		c.Library = *pair[0]
	}
	if pair[1] != nil {
		c.Class = *pair[1]
	}
	return c, true
}

// objectInOrder splits a JSON object into its keys (in file order) and raw
// values. Duplicate keys are an error.
func objectInOrder(data []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, describe(data, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("want a JSON object at the top level")
	}
	var keys []string
	var values []json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, describe(data, err)
		}
		k := tok.(string) // object keys are always strings
		if seen[k] {
			return nil, nil, fmt.Errorf("key %q appears twice", k)
		}
		seen[k] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("key %q: %w", k, describe(data, err))
		}
		keys = append(keys, k)
		values = append(values, raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, describe(data, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, nil, fmt.Errorf("%s: unexpected data after the JSON object", position(data, dec.InputOffset()))
	}
	return keys, values, nil
}

// Keys returns the top-level keys of the JSON object in the file at path, in
// file order; useful to detect which options a config sets explicitly.
func Keys(path string) ([]string, error) {
	data, err := ReadFile(context.Background(), path, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	keys, _, err := objectInOrder(pythonWords(data))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return keys, nil
}
