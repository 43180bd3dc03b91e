package nn

import "github.com/goautopipe/diffusers/tensor"

// Adapter is a side path whose output is added to a layer's output, such
// as a LoRA's low-rank update: AddTo adds its output for the layer input x
// to the layer output y. Layers carry adapters in their Adapters field;
// models/lora sets them on a copy of the layer, so a model shared by other
// pipelines or generations never changes.
type Adapter interface {
	AddTo(y, x *tensor.Dense)
}

// addAdapters adds the outputs of adapters for input x to y.
func addAdapters(adapters []Adapter, y, x *tensor.Dense) {
	for _, a := range adapters {
		a.AddTo(y, x)
	}
}

// AdapterLayer is implemented by the layers that take adapters (Linear,
// Conv2D and the CLIP text model's linear layers). Both methods return a
// new layer sharing the unchanged tensors; the receiver is not modified.
type AdapterLayer interface {
	// LayerShape returns the input and output widths and the kernel size
	// (0 for a linear layer).
	LayerShape() (in, out, kernel int)
	// WithAdapters returns a copy of the layer with adapters appended to its
	// own.
	WithAdapters(adapters ...Adapter) AdapterLayer
	// WithDelta returns a copy of the layer whose weight is its weight plus
	// delta (PyTorch layout: [out, in] or [out, in, k, k]), as float32.
	WithDelta(delta []float32) AdapterLayer
}

// LayerShape implements AdapterLayer.
func (l *Linear) LayerShape() (in, out, kernel int) { return l.In, l.Out, 0 }

// WithAdapters implements AdapterLayer.
func (l *Linear) WithAdapters(a ...Adapter) AdapterLayer {
	c := *l
	c.Adapters = append(append([]Adapter(nil), l.Adapters...), a...)
	return &c
}

// WithDelta implements AdapterLayer.
func (l *Linear) WithDelta(delta []float32) AdapterLayer {
	c := *l
	c.Weight = plus(l.Weight, delta)
	return &c
}

// LayerShape implements AdapterLayer.
func (c *Conv2D) LayerShape() (in, out, kernel int) { return c.In, c.Out, c.Kernel }

// WithAdapters implements AdapterLayer.
func (c *Conv2D) WithAdapters(a ...Adapter) AdapterLayer {
	d := *c
	d.Adapters = append(append([]Adapter(nil), c.Adapters...), a...)
	return &d
}

// WithDelta implements AdapterLayer.
func (c *Conv2D) WithDelta(delta []float32) AdapterLayer {
	d := *c
	d.Weight = plus(c.Weight, delta)
	return &d
}

// plus returns w + delta as a new float32 tensor (w may be stored as half).
func plus(w *tensor.Dense, delta []float32) *tensor.Dense {
	shape := tensor.Shape(w)
	out := make([]float32, len(delta))
	if tensor.IsHalf(w) {
		tensor.HalfToFloat32(out, tensor.HalfBits(w))
	} else {
		copy(out, tensor.F32(w))
	}
	for i, d := range delta {
		out[i] += d
	}
	return tensor.FromSlice(out, shape...)
}
