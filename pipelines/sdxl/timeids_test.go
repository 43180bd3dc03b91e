package sdxl

import (
	"testing"

	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
)

func pipelineFor(task engine.Task, aesthetics bool) *Pipeline {
	return &Pipeline{Base: engine.Base{Core: &engine.Core{Task: task}}, aesthetics: aesthetics}
}

// The micro-conditioning vectors of diffusers' _get_add_time_ids.
func TestTimeIDs(t *testing.T) {
	size := engine.Size{Width: 96, Height: 64}
	r := pipelines.Request{CropsCoordsTopLeft: [2]int{4, 8}, NegativeCropsCoordsTopLeft: [2]int{1, 2},
		AestheticScore: 6, NegativeAestheticScore: 2.5}

	ids := pipelineFor(engine.Text2Image, false).timeIDs(r, size)
	assert.Equal(t, []float32{64, 96, 4, 8, 64, 96}, ids.pos, "original size, crop, target size default to the image size")
	assert.Equal(t, ids.pos, ids.neg, "text-to-image: negative ids equal the positive ones unless both negative sizes are set")

	r2 := r
	r2.NegativeOriginalSize, r2.NegativeTargetSize = [2]int{32, 32}, [2]int{48, 48}
	ids = pipelineFor(engine.Text2Image, false).timeIDs(r2, size)
	assert.Equal(t, []float32{32, 32, 1, 2, 48, 48}, ids.neg)

	// Refiner-style conditioning: the aesthetic score replaces the target size.
	ids = pipelineFor(engine.Image2Image, true).timeIDs(r, size)
	assert.Equal(t, []float32{64, 96, 4, 8, 6}, ids.pos)
	assert.Equal(t, []float32{64, 96, 1, 2, 2.5}, ids.neg)

	// Without it, diffusers pairs the negative sizes with the positive crop.
	r2.OriginalSize = [2]int{128, 128}
	ids = pipelineFor(engine.Inpainting, false).timeIDs(r2, size)
	assert.Equal(t, []float32{128, 128, 4, 8, 64, 96}, ids.pos)
	assert.Equal(t, []float32{32, 32, 4, 8, 48, 48}, ids.neg)
}

// Guided batches: text-to-image repeats the [neg; pos] pair, the other
// tasks put the negatives first.
func TestGuidedTimeIDsLayout(t *testing.T) {
	ids := timeIDs{pos: []float32{1, 1}, neg: []float32{0, 0}}
	got := pipelineFor(engine.Text2Image, false).guidedTimeIDs(ids, 2)
	assert.Equal(t, []float32{0, 0, 1, 1, 0, 0, 1, 1}, tensor.F32(got))
	got = pipelineFor(engine.Image2Image, false).guidedTimeIDs(ids, 2)
	assert.Equal(t, []float32{0, 0, 0, 0, 1, 1, 1, 1}, tensor.F32(got))
	assert.Equal(t, []int{4, 2}, tensor.Shape(got))
}

func TestDenoisingRangeChecked(t *testing.T) {
	for _, r := range []pipelines.Request{{DenoisingStart: 1}, {DenoisingEnd: -0.1}, {DenoisingStart: 1.5}} {
		err := encoder{}.CheckRequest(r)
		assert.ErrorIs(t, err, pipelines.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "`denoising_start` and `denoising_end` have to be in (0, 1)")
	}
	assert.NoError(t, encoder{}.CheckRequest(pipelines.Request{DenoisingStart: 0.8}))
}

// The defaults tables hold diffusers' __call__ defaults.
func TestDefaultsTable(t *testing.T) {
	assert.Equal(t, engine.Defaults{Steps: 50, Guidance: 5.0, SizeMultiple: 8}, defaults[engine.Text2Image])
	assert.Equal(t, 0.3, defaults[engine.Image2Image].Strength)
	assert.Equal(t, 7.5, defaults[engine.Inpainting].Guidance)
	assert.Equal(t, 0.9999, defaults[engine.Inpainting].Strength)
	for _, task := range []engine.Task{engine.Image2Image, engine.Inpainting} {
		assert.Equal(t, 6.0, defaults[task].AestheticScore)
		assert.Equal(t, 2.5, defaults[task].NegativeAestheticScore)
	}
}
