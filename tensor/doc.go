// Package tensor is the compute layer: float32 kernels written directly on the
// raw slices of gorgonia.org/tensor dense containers (NCHW, row-major).
//
// It provides the operations the diffusion models need (Linear, MatMul,
// Conv2D, GroupNorm, LayerNorm, activations, Softmax, multi-head Attention,
// nearest upsampling, Concat/Chunk/Permute, broadcasting arithmetic and
// sinusoidal timestep embeddings), all built on one single-precision GEMM.
// Results are freshly allocated unless a function's name ends in InPlace or
// Into. Shape mismatches are programming errors and panic with a message.
//
// The GEMM sits behind the Gemm interface; GemmImplementations lists every
// implementation usable on the running machine and Sgemm calls the fastest.
// Operations run in parallel over GOMAXPROCS goroutines.
//
// It is not an autograd or graph library; every operation runs eagerly.
package tensor
