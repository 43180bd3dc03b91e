// Package tensor is the compute layer: float32 kernels written directly on the
// raw slices of gorgonia.org/tensor dense containers (NCHW, row-major).
//
// It is not an autograd or graph library; every operation runs eagerly.
package tensor
