// Package testutil holds what the repository's tests share: the path of
// the testdata folder from any package, readers for the golden files that
// tools/reference writes (safetensors, JSON, PNG), and comparisons that
// report where two results differ most (float slices and tensors within an
// absolute tolerance, images within n/255).
//
// It imports nothing from this module, so every package's tests can use
// it, tensor's own included. It is for tests only; no library code
// imports it.
package testutil
