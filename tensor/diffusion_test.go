package tensor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRepeats(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	assert.Equal(t, []float32{1, 2, 1, 2, 3, 4, 3, 4}, F32(RepeatInterleave(x, 2)))
	assert.Equal(t, []int{4, 2}, Shape(RepeatInterleave(x, 2)))
	assert.Equal(t, []float32{1, 2, 3, 4, 1, 2, 3, 4}, F32(Repeat(x, 2)))
	assert.Equal(t, []float32{5, 6, 5, 6, 5, 6}, F32(Rows([]float32{5, 6}, 3)))
	assert.Equal(t, []int{3, 2}, Shape(Rows([]float32{5, 6}, 3)))
}

func TestGuidanceAndRescale(t *testing.T) {
	u := FromSlice([]float32{0, 1, 2, 3}, 1, 4)
	c := FromSlice([]float32{1, 1, 4, 3}, 1, 4)
	g := Guidance(u, c, 2)
	require.Equal(t, []float32{2, 1, 6, 3}, F32(g))
	// torch.std([1,1,4,3]) = 1.5; torch.std([2,1,6,3]) = 2.1602469
	assert.InDelta(t, 1.5, Std(F32(c)), 1e-6)
	assert.InDelta(t, 2.1602469, Std(F32(g)), 1e-6)
	RescaleGuidanceInPlace(g, c, 1)
	assert.InDelta(t, 1.5, Std(F32(g)), 1e-6)
	assert.InDelta(t, 2*1.5/2.1602469, F32(g)[0], 1e-6)
}

func TestLatentsStatsRoundTrip(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2)
	mean, std := []float64{0.5, -1}, []float64{2, 4}
	NormalizeLatentsInPlace(x, mean, std, 0.5)
	assert.InDeltaSlice(t, []float32{0.125, 0.375, 0.625, 0.875, 0.75, 0.875, 1, 1.125}, F32(x), 1e-7)
	DenormalizeLatentsInPlace(x, mean, std, 0.5)
	assert.InDeltaSlice(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, F32(x), 1e-6)
}

func TestResizeNearest(t *testing.T) {
	// torch.nn.functional.interpolate(torch.arange(6.).view(1,1,2,3), size=(4,2), mode="nearest")
	x := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 1, 1, 2, 3)
	got := ResizeNearest(x, 4, 2)
	assert.Equal(t, []float32{0, 1, 0, 1, 3, 4, 3, 4}, F32(got))
	assert.Equal(t, []int{1, 1, 4, 2}, Shape(got))
}
