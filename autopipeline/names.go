package autopipeline

import (
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// The everyday types, so that a program needs this one import.
type (
	// Pipeline is a loaded pipeline of one class (see pipelines.Pipeline).
	Pipeline = pipelines.Pipeline
	// Request holds the parameters of one Generate call.
	Request = pipelines.Request
	// Output is what Generate returns.
	Output = pipelines.Output
	// Timings splits a generation's wall time by phase.
	Timings = pipelines.Timings
	// Components gives typed access to a pipeline's component objects.
	Components = pipelines.Components
	// DType is the precision weights are stored in (WithDType).
	DType = tensor.DType
)

// The weight precisions WithDType takes, like diffusers' torch_dtype.
const (
	Float32  = tensor.Float32
	Float16  = tensor.Float16
	BFloat16 = tensor.BFloat16
)

// NoGuidance as Request.GuidanceScale turns classifier-free guidance off:
// diffusers' guidance_scale=0.0 (a zero GuidanceScale means the default).
const NoGuidance = pipelines.NoGuidance

// ErrInvalidRequest is matched by errors.Is when Generate refuses a
// request (a bad field value, a missing image), before any work is done.
var ErrInvalidRequest = pipelines.ErrInvalidRequest
