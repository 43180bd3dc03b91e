package pipelines

import "context"

// Pipeline is a loaded diffusion pipeline of one class.
type Pipeline interface {
	// ClassName is the diffusers class name, e.g. "StableDiffusionImg2ImgPipeline".
	ClassName() string
	// Components returns the component objects by their model_index.json
	// names. The map is new; the objects are the pipeline's own, shared
	// with every pipeline made from it by FromPipe.
	Components() Components
	// Config returns a copy of the pipeline's configuration:
	// requires_safety_checker, _name_or_path, keys carried over by FromPipe...
	Config() map[string]any
	// Generate runs the pipeline. It is safe to call from several goroutines.
	Generate(ctx context.Context, r Request) (*Output, error)
}
