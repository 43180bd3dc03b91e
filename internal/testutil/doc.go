// Package testutil holds what the repository's tests share: the path of
// the testdata folder from any package, readers for the golden files that
// tools/reference writes (safetensors, JSON, PNG), and comparisons that
// report where two results differ most (float slices and tensors within an
// absolute tolerance, bit-exact floats, images within n/255).
//
// It imports nothing from this module, so every package's tests can use
// it, tensor's own included. Two subpackages add what needs the module's
// own packages: weightstest opens goldens as models/weights sources, and
// pngout reads back the PNG files (image and parameters) the command and
// the examples write. None of them is imported by library code.
package testutil
