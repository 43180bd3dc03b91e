package testutil

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gt "gorgonia.org/tensor"
)

// MaxAbsDiff returns the largest |got[i]-want[i]| (computed in float64) and
// its index; equal values (the same infinity too) differ by 0, and a NaN on
// either side counts as +Inf. It reads the first
// min(len(got), len(want)) elements; the callers below check the lengths.
// For empty slices it returns (0, -1).
func MaxAbsDiff(got, want []float32) (float64, int) {
	m, at := 0.0, -1
	for i := range min(len(got), len(want)) {
		if got[i] == want[i] {
			if at < 0 {
				at = i
			}
			continue
		}
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > m || at < 0 {
			m, at = d, i
		}
	}
	return m, at
}

// AssertClose reports a failure unless got and want have the same length
// and agree within tol everywhere (tol 0 asks for equal values); the
// message names the worst index. It returns whether they agree.
func AssertClose(tb testing.TB, want, got []float32, tol float64, msgAndArgs ...any) bool {
	tb.Helper()
	if !assert.Len(tb, got, len(want), msgAndArgs...) {
		return false
	}
	d, at := MaxAbsDiff(got, want)
	if d <= tol {
		return true
	}
	return assert.Fail(tb, fmt.Sprintf("max |diff| %.3g > %g at index %d of %d: got %g, want %g",
		d, tol, at, len(want), got[at], want[at]), msgAndArgs...)
}

// RequireClose is AssertClose stopping the test on failure.
func RequireClose(tb testing.TB, want, got []float32, tol float64, msgAndArgs ...any) {
	tb.Helper()
	if !AssertClose(tb, want, got, tol, msgAndArgs...) {
		tb.FailNow()
	}
}

// DenseMaxAbsDiff stops the test unless got and want (float32 dense
// tensors) have the same shape, and returns MaxAbsDiff of their data.
func DenseMaxAbsDiff(tb testing.TB, got, want *gt.Dense, msgAndArgs ...any) float64 {
	tb.Helper()
	require.Equal(tb, []int(want.Shape()), []int(got.Shape()), msgAndArgs...)
	d, _ := MaxAbsDiff(f32(tb, got), f32(tb, want))
	return d
}

// RequireDenseClose stops the test unless got and want have the same shape
// and data within tol.
func RequireDenseClose(tb testing.TB, want, got *gt.Dense, tol float64, msgAndArgs ...any) {
	tb.Helper()
	require.Equal(tb, []int(want.Shape()), []int(got.Shape()), msgAndArgs...)
	RequireClose(tb, f32(tb, want), f32(tb, got), tol, msgAndArgs...)
}

func f32(tb testing.TB, x *gt.Dense) []float32 {
	tb.Helper()
	v, ok := x.Data().([]float32)
	require.True(tb, ok, "tensor of %v, want float32", x.Dtype())
	return v
}

// AssertSameBits reports a failure unless got and want have the same
// length and equal float32 bit patterns (so -0 differs from 0, and NaNs
// must match in payload); the message names the first difference. It
// returns whether they agree.
func AssertSameBits(tb testing.TB, want, got []float32, msgAndArgs ...any) bool {
	tb.Helper()
	if !assert.Len(tb, got, len(want), msgAndArgs...) {
		return false
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return assert.Fail(tb, fmt.Sprintf("first difference at index %d of %d: got %v (%#08x), want %v (%#08x)",
				i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i])), msgAndArgs...)
		}
	}
	return true
}

// RequireSameBits is AssertSameBits stopping the test on failure.
func RequireSameBits(tb testing.TB, want, got []float32, msgAndArgs ...any) {
	tb.Helper()
	if !AssertSameBits(tb, want, got, msgAndArgs...) {
		tb.FailNow()
	}
}
