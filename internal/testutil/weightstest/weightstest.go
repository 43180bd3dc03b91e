// Package weightstest opens golden safetensors files as weights sources in
// the models' tests, where the same file holds a block's weights, inputs
// and reference outputs.
//
// It is apart from testutil because it imports models/weights, whose own
// tests use testutil.
package weightstest

import (
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// Open opens the safetensors file at path, closed when the test ends, and
// fails the test when it cannot (goldens come from tools/reference).
func Open(tb testing.TB, path string) weights.Source {
	tb.Helper()
	src, err := weights.Open(path)
	require.NoError(tb, err, "open golden (see tools/reference)")
	tb.Cleanup(func() { src.Close() })
	return src
}

// Tensor returns the tensor called name, failing the test when src lacks it.
func Tensor(tb testing.TB, src weights.Source, name string) *tensor.Dense {
	tb.Helper()
	x, err := src.Tensor(name)
	require.NoError(tb, err, "golden tensor %s", name)
	return x
}
