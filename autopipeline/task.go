package autopipeline

import (
	"fmt"
	"github.com/goautopipe/diffusers/internal/engine"

	"github.com/goautopipe/diffusers/pipelines"
)

// Task selects what a pipeline does: the Go counterpart of diffusers'
// AutoPipelineForText2Image, AutoPipelineForImage2Image and
// AutoPipelineForInpainting.
type Task int

// The tasks (the same values as the engine's).
const (
	Text2Image  = Task(engine.Text2Image)
	Image2Image = Task(engine.Image2Image)
	Inpainting  = Task(engine.Inpainting)
)

func (t Task) String() string {
	if t < Text2Image || t > Inpainting {
		return fmt.Sprintf("Task(%d)", int(t))
	}
	return engine.Task(t).String()
}

// ErrUnsupported is matched by errors.Is when a checkpoint's pipeline class
// (or one of its components) has no Go implementation.
var ErrUnsupported = pipelines.ErrUnsupported

// classFor resolves the task's pipeline class linked to className the way
// diffusers' AutoPipeline does: className's family, then the family's
// class for the task.
func (t Task) classFor(className string) (pipelines.Class, error) {
	fam, ok := pipelines.FamilyOf(className)
	name := fam.Name
	if !ok {
		name = "None"
	}
	var c pipelines.Class
	switch t {
	case Text2Image:
		c = fam.Text2Image
	case Image2Image:
		c = fam.Image2Image
	case Inpainting:
		c = fam.Inpainting
	default:
		return nil, fmt.Errorf("autopipeline: unknown task %v", t)
	}
	if c == nil {
		return nil, fmt.Errorf("AutoPipeline can't find a pipeline linked to %s for %s: %w", className, name, ErrUnsupported)
	}
	return c, nil
}
