package tensor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func resizeSeq(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

// The expected values are torch.nn.functional.interpolate(x, size,
// mode="nearest") of x = torch.arange(...).reshape(shape), torch 2.15.
func TestResizeNearestTorch(t *testing.T) {
	// Upsampling to sizes that are not multiples.
	got := ResizeNearest(FromSlice(resizeSeq(6), 1, 1, 2, 3), 3, 5)
	require.Equal(t, []int{1, 1, 3, 5}, Shape(got))
	assert.Equal(t, []float32{0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 3, 3, 4, 4, 5}, F32(got))

	// Downsampling, several planes.
	got = ResizeNearest(FromSlice(resizeSeq(64), 2, 2, 4, 4), 2, 3)
	assert.Equal(t, []float32{0, 1, 2, 8, 9, 10, 16, 17, 18, 24, 25, 26, 32, 33, 34, 40, 41, 42, 48, 49, 50, 56, 57, 58}, F32(got))

	// 26 -> 22 columns: the float32 ratio puts output 11 on input 12
	// (exact arithmetic would give 13).
	got = ResizeNearest(FromSlice(resizeSeq(26), 1, 1, 1, 26), 1, 22)
	assert.Equal(t, []float32{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24}, F32(got))

	// 6 -> 74 rows: output 37 still reads input 2 in float32.
	got = ResizeNearest(FromSlice(resizeSeq(6), 1, 1, 6, 1), 74, 1)
	assert.Equal(t, float32(2), F32(got)[37])
	assert.Equal(t, float32(3), F32(got)[38])

	assert.Panics(t, func() { ResizeNearest(New(1, 4, 4), 2, 2) })
	assert.Panics(t, func() { ResizeNearest(New(1, 1, 4, 4), 0, 2) })
}
