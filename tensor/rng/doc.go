// Package rng is a random number generator whose draws equal PyTorch's CPU
// generator (torch.Generator("cpu").manual_seed(seed)) bit for bit.
//
// The engine is the 32-bit Mersenne Twister seeded with the low 32 bits of
// the seed, as PyTorch does. Randn reproduces torch.randn for float32: tensors
// with fewer than 16 elements take the scalar Box-Muller path in float64 (with
// the cached second sample kept in the generator between calls), larger ones
// the vectorised path that fills uniforms first and transforms blocks of 16 in
// float32 with the single-precision log and sincos approximations that
// PyTorch's x86-64 builds (AVX2 and AVX-512 dispatch) run, including the
// fused multiply-adds the compiler forms in them. Rand reproduces
// torch.rand.
//
// Draws made one after another from one Generator follow the same sequence as
// successive torch calls on one torch.Generator. A Generator is not safe for
// concurrent use.
//
// Not covered: torch's GPU generators, non-x86 builds (whose vector math
// differs in the last bit), integer and half-precision sampling.
package rng
