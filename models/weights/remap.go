package weights

import (
	"fmt"
	"slices"
	"sort"

	"github.com/goautopipe/diffusers/tensor"
)

// Mapping says where a tensor of a Remap source comes from.
type Mapping struct {
	// From is the tensor's name in the underlying source.
	From string
	// Rows, when Rows[1] > 0, keeps only rows [Rows[0], Rows[1]) of the
	// first axis (a view: rows are contiguous).
	Rows [2]int
	// Shape, when set, reshapes the tensor (same number of values), e.g. a
	// 1x1 convolution weight [C, C, 1, 1] read as a linear weight [C, C].
	Shape []int
	// Transpose swaps the two axes of a 2-D tensor (a copy).
	Transpose bool
}

// Remap returns a Source whose tensors are the named views of src's
// tensors: renamed, row-sliced, reshaped or transposed (for checkpoints in
// another layout, such as single-file pipeline checkpoints). Only the names
// in m exist. Renamed, sliced and reshaped float32 and float16 tensors stay
// zero-copy views of src. Closing the returned source does not close src.
func Remap(src Source, m map[string]Mapping) (Source, error) {
	r := &remapped{src: src, m: m, info: make(map[string]Info, len(m))}
	for name, mp := range m {
		info, ok := src.Info(mp.From)
		if !ok {
			return nil, fmt.Errorf("weights: remap %s: no tensor %q", name, mp.From)
		}
		shape, err := mp.shape(info.Shape)
		if err != nil {
			return nil, fmt.Errorf("weights: remap %s from %s: %w", name, mp.From, err)
		}
		r.info[name] = Info{Shape: shape, DType: info.DType}
		r.names = append(r.names, name)
	}
	sort.Strings(r.names)
	return r, nil
}

type remapped struct {
	src   Source
	m     map[string]Mapping
	info  map[string]Info
	names []string
}

// shape checks the mapping against the source shape in and returns the
// resulting shape.
func (mp Mapping) shape(in []int) ([]int, error) {
	out := slices.Clone(in)
	if mp.Rows[1] > 0 {
		if len(out) == 0 || mp.Rows[0] < 0 || mp.Rows[0] >= mp.Rows[1] || mp.Rows[1] > out[0] {
			return nil, fmt.Errorf("rows [%d, %d) of shape %v", mp.Rows[0], mp.Rows[1], in)
		}
		out[0] = mp.Rows[1] - mp.Rows[0]
	}
	if mp.Shape != nil {
		if numel(mp.Shape) != numel(out) {
			return nil, fmt.Errorf("cannot reshape %v to %v", out, mp.Shape)
		}
		out = slices.Clone(mp.Shape)
	}
	if mp.Transpose {
		if len(out) != 2 {
			return nil, fmt.Errorf("transpose of shape %v", out)
		}
		out[0], out[1] = out[1], out[0]
	}
	return out, nil
}

func (r *remapped) Names() []string { return slices.Clone(r.names) }

func (r *remapped) Info(name string) (Info, bool) {
	info, ok := r.info[name]
	info.Shape = slices.Clone(info.Shape)
	return info, ok
}

// Tensor implements Source.
func (r *remapped) Tensor(name string) (*tensor.Dense, error) {
	mp, ok := r.m[name]
	if !ok {
		return nil, fmt.Errorf("weights: no tensor %q", name)
	}
	t, err := r.src.Tensor(mp.From)
	if err != nil {
		return nil, err
	}
	x := tensor.F32(t)
	in := tensor.Shape(t)
	if mp.Rows[1] > 0 {
		row := numel(in[1:])
		x = x[mp.Rows[0]*row : mp.Rows[1]*row]
	}
	shape := r.info[name].Shape
	if mp.Transpose {
		rows, cols := shape[1], shape[0] // the source's [rows, cols]
		out := make([]float32, len(x))
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				out[j*rows+i] = x[i*cols+j]
			}
		}
		x = out
	}
	return newDense(x, shape), nil
}

// raw16 views stored F16 or BF16 data of untransposed tensors without a
// copy.
func (r *remapped) raw16(name, dtype string) ([]uint16, []int, bool) {
	mp, ok := r.m[name]
	rh, can := r.src.(rawView)
	if !ok || !can || mp.Transpose {
		return nil, nil, false
	}
	bits, in, ok := rh.raw16(mp.From, dtype)
	if !ok {
		return nil, nil, false
	}
	if mp.Rows[1] > 0 {
		row := numel(in[1:])
		bits = bits[mp.Rows[0]*row : mp.Rows[1]*row]
	}
	return bits, slices.Clone(r.info[name].Shape), true
}

// Close implements Source; the underlying source stays open.
func (r *remapped) Close() error { return nil }
