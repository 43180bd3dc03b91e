package weights

import (
	"fmt"
	"sort"

	"github.com/goautopipe/diffusers/tensor"
)

// MapSource is an in-memory Source, for tests and for weights computed at
// run time (for example converted from another layout).
type MapSource map[string]*tensor.Dense

// Names implements Source.
func (m MapSource) Names() []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Info implements Source; DType is always "F32".
func (m MapSource) Info(name string) (Info, bool) {
	t, ok := m[name]
	if !ok || t == nil {
		return Info{}, false
	}
	return Info{Shape: tensor.Shape(t), DType: "F32"}, true
}

// Tensor implements Source; it returns the stored tensor itself.
func (m MapSource) Tensor(name string) (*tensor.Dense, error) {
	t, ok := m[name]
	if !ok || t == nil {
		return nil, fmt.Errorf("weights: no tensor %q", name)
	}
	return t, nil
}

// Close implements Source.
func (m MapSource) Close() error { return nil }
